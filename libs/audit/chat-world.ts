import { type ChatAccessFacts } from '../authz/access-facts.js';
import { type AccessDecision, evaluateChatAccess } from '../authz/evaluate.js';
import { type ChatAccessInput, chatAccessFactsFor } from '../domain/chat/chat-access.js';
import { chatDecider } from '../domain/chat/chat.decider.js';
import { type ChatState, type ExistingChat, isRootChat } from '../domain/chat/chat.state.js';
import { groupDecider } from '../domain/group/group.decider.js';
import { type GroupState } from '../domain/group/group.state.js';
import { organizationDecider } from '../domain/organization/organization.decider.js';
import {
  type ActiveOrganization,
  type OrganizationState,
} from '../domain/organization/organization.state.js';
import { streams } from '../domain/streams.js';
import { workspaceDecider } from '../domain/workspace/workspace.decider.js';
import { type WorkspaceState } from '../domain/workspace/workspace.state.js';
import { type Instant } from './instant.js';
import { type Fold, foldStream, type ReplaySource, type StreamCut } from './stream-fold.js';

export const chatFold = chatDecider as Fold<ChatState>;
export const orgFold = organizationDecider as Fold<OrganizationState>;
export const groupFold = groupDecider as Fold<GroupState>;
export const workspaceFold = workspaceDecider as Fold<WorkspaceState>;

/**
 * The streams that bear on one chat's access, each cut at the same instant:
 * the chat, the chats between it and its root, the root, the org, the root's
 * workspace, and the groups the root's ACL names. Nothing else in the log
 * can change who may do what on the chat (libs/authz reads nothing else), so
 * nothing else is read.
 */
export interface ChatWorld {
  readonly orgId: string;
  readonly chatId: string;
  readonly org: StreamCut<OrganizationState>;
  readonly chat: StreamCut<ChatState>;
  readonly root: StreamCut<ChatState>;
  /** Parent first, up to (not including) the root. */
  readonly ancestors: ReadonlyArray<StreamCut<ChatState>>;
  readonly workspace: StreamCut<WorkspaceState> | null;
  readonly groups: ReadonlyMap<string, StreamCut<GroupState>>;
}

/** A world whose chat exists and is reachable: what access can be evaluated on. */
export interface LiveChatWorld extends ChatWorld {
  readonly orgState: ActiveOrganization;
  readonly chatState: ExistingChat;
  readonly rootState: ExistingChat;
}

export type ChatWorldAt =
  | { readonly status: 'live'; readonly world: LiveChatWorld }
  /** Not created yet at the instant, or deleted (it, an ancestor or its root) by then: 404. */
  | { readonly status: 'absent' | 'deleted'; readonly world: ChatWorld | null };

/**
 * Folds the streams bearing on `chatId` up to `instant`. Reads, in three
 * rounds: the chat; then its ancestors (one by one, each names the next),
 * root and org; then the root's workspace and the groups its ACL names at
 * that instant.
 */
export async function loadChatWorld(
  source: ReplaySource,
  orgId: string,
  chatId: string,
  instant: Instant,
): Promise<ChatWorldAt> {
  const chat = await foldStream(source, chatFold, streams.chat(orgId, chatId), instant);
  if (chat.state.status === 'absent') return { status: 'absent', world: null };
  const chatState = chat.state;
  const [org, root, ancestors] = await Promise.all([
    foldStream(source, orgFold, streams.organization(orgId), instant),
    isRootChat(chatState)
      ? chat
      : foldStream(source, chatFold, streams.chat(orgId, chatState.rootChatId), instant),
    ancestorsOf(source, orgId, chatState, instant),
  ]);
  const rootState = root.state;
  const groupIds =
    rootState.status === 'absent'
      ? []
      : [...rootState.acl.values()].flatMap(({ subject }) => (subject.kind === 'group' ? [subject.id] : []));
  const workspaceId = rootState.status === 'absent' ? null : rootState.workspaceId;
  const [workspace, groupCuts] = await Promise.all([
    workspaceId === null
      ? null
      : foldStream(source, workspaceFold, streams.workspace(orgId, workspaceId), instant),
    Promise.all(
      groupIds.map(
        async (id) => [id, await foldStream(source, groupFold, streams.group(orgId, id), instant)] as const,
      ),
    ),
  ]);
  const world: ChatWorld = {
    orgId,
    chatId,
    org,
    chat,
    root,
    ancestors,
    workspace,
    groups: new Map(groupCuts),
  };
  return classify(world);
}

/** Whether the chat is reachable in `world`: the same test libs/authz's rule 1 and §5's "deleted is missing" make. */
export function classify(world: ChatWorld): ChatWorldAt {
  const { org, chat, root, ancestors } = world;
  if (chat.state.status === 'absent') return { status: 'absent', world };
  if (org.state.status !== 'active' || root.state.status === 'absent') {
    // A chat whose org or root cannot be found is inconsistent: refuse rather than guess.
    throw new Error(`chat ${world.chatId}: its org or root is missing at this instant`);
  }
  const path = [chat, root, ...ancestors];
  if (path.some((cut) => cut.state.status === 'deleted')) return { status: 'deleted', world };
  return {
    status: 'live',
    world: { ...world, orgState: org.state, chatState: chat.state, rootState: root.state },
  };
}

async function ancestorsOf(
  source: ReplaySource,
  orgId: string,
  chat: ExistingChat,
  instant: Instant,
): Promise<Array<StreamCut<ChatState>>> {
  const ancestors: Array<StreamCut<ChatState>> = [];
  const seen = new Set([chat.chatId]);
  for (let next = chat.parentChatId; next !== null && next !== chat.rootChatId;) {
    if (seen.has(next)) throw new Error(`the parents of chat ${chat.chatId} loop at ${next}`);
    seen.add(next);
    const cut = await foldStream(source, chatFold, streams.chat(orgId, next), instant);
    ancestors.push(cut);
    if (cut.state.status === 'absent') break;
    next = cut.state.parentChatId;
  }
  return ancestors;
}

/** The command side's input to libs/authz for one user, from the world's states. */
export function accessInput(world: LiveChatWorld, userId: string): ChatAccessInput {
  const groups: Record<string, GroupState> = {};
  for (const [id, cut] of world.groups) groups[id] = cut.state;
  return {
    userId,
    org: world.orgState,
    chat: world.chatState,
    root: world.rootState,
    ancestors: world.ancestors.map((cut) => cut.state as ExistingChat),
    workspace: world.workspace?.state ?? null,
    groups,
  };
}

/**
 * Everyone who could hold anything on the chat: a superset that libs/authz
 * then decides on, exactly as the chat-access projection chooses its
 * candidates (projections/README.md): the root's owner, the org's owners and
 * admins, the users and members of groups on the root's ACL, and the members
 * of the root's workspace. No rule is applied here.
 */
export function candidates(world: LiveChatWorld): Set<string> {
  const users = new Set<string>([world.rootState.ownerId]);
  // Owners and admins hold every chat; kept as sets by the org's fold, so this is not O(members).
  for (const userId of world.orgState.owners) users.add(userId);
  for (const userId of world.orgState.admins) users.add(userId);
  for (const { subject } of world.rootState.acl.values()) {
    if (subject.kind === 'user') users.add(subject.id);
  }
  for (const cut of world.groups.values()) {
    if (cut.state.status === 'active') for (const userId of cut.state.members.keys()) users.add(userId);
  }
  const workspace = world.workspace?.state;
  if (workspace?.status === 'active') for (const userId of workspace.members.keys()) users.add(userId);
  return users;
}

/**
 * Each world's facts that do not depend on the user, made once
 * (chatAccessFactsFor): an answer decides for every candidate of the chat,
 * hundreds in a large org, and a world is never changed once loaded.
 */
const factsOfWorld = new WeakMap<LiveChatWorld, (userId: string) => ChatAccessFacts>();

/** libs/authz's decision for one user in the world. */
export function decide(world: LiveChatWorld, userId: string): AccessDecision {
  let factsFor = factsOfWorld.get(world);
  if (!factsFor) {
    const { userId: _, ...chatInput } = accessInput(world, userId);
    factsFor = chatAccessFactsFor(chatInput);
    factsOfWorld.set(world, factsFor);
  }
  return evaluateChatAccess(factsFor(userId));
}

/** Everyone with any permission, sorted by user id. */
export function everyoneWithAccess(
  world: LiveChatWorld,
): Array<{ userId: string; decision: AccessDecision }> {
  return [...candidates(world)]
    .sort()
    .map((userId) => ({ userId, decision: decide(world, userId) }))
    .filter(({ decision }) => decision.permissions.length > 0);
}

/** Each world's streams, listed once: an answer names the actors of a few events per user. */
const cutsOfWorld = new WeakMap<ChatWorld, ReadonlyArray<StreamCut<unknown> | null>>();

/** The actor of an event folded into any stream of the world, or null when unknown. */
export function actorOf(world: ChatWorld, eventId: string): string | null {
  let cuts = cutsOfWorld.get(world);
  if (!cuts) {
    cuts = [world.org, world.chat, world.root, ...world.ancestors, world.workspace, ...world.groups.values()];
    cutsOfWorld.set(world, cuts);
  }
  for (const cut of cuts) {
    const actor = cut?.actors.get(eventId);
    if (actor !== undefined) return actor;
  }
  return null;
}
