import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type Permission } from '../authz/policy.js';
import { type ChatState } from '../domain/chat/chat.state.js';
import { type GroupState } from '../domain/group/group.state.js';
import { type OrganizationState } from '../domain/organization/organization.state.js';
import { MESSAGES_STREAM_SUFFIX, streams } from '../domain/streams.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import { type WorkspaceState } from '../domain/workspace/workspace.state.js';
import { type EventStore, type Position, type RecordedEvent } from '../event-store/index.js';
import {
  type ReplayOptions,
  replaySource,
  resolveInstant,
  type UserAccess,
  userAccess,
} from './access-at.js';
import {
  chatFold,
  type ChatWorld,
  type ChatWorldAt,
  classify,
  decide,
  everyoneWithAccess,
  groupFold,
  orgFold,
  workspaceFold,
} from './chat-world.js';
import { includes, type Instant } from './instant.js';
import { emptyCut, type Fold, step, type StreamCut } from './stream-fold.js';

/**
 * How long after a time instant a whole-org replay keeps reading: an event
 * decided (occurredAt) before T is recorded after T by at most the time its
 * command took to append, far below this.
 */
export const TIME_CUT_SLACK_MS = 5 * 60_000;

/** How many chats user-access decides between two turns of the event loop. */
const CHATS_PER_YIELD = 256;

/** Every aggregate of one org, folded to one instant. */
export interface OrgWorld {
  readonly orgId: string;
  readonly org: StreamCut<OrganizationState>;
  readonly chats: ReadonlyMap<string, StreamCut<ChatState>>;
  readonly groups: ReadonlyMap<string, StreamCut<GroupState>>;
  readonly workspaces: ReadonlyMap<string, StreamCut<WorkspaceState>>;
  /** Events folded (the store leaves messages out; reservations are read past, not counted). */
  readonly events: number;
}

/**
 * The whole org folded to `instant` from one prefix read of its streams
 * (DESIGN.md §6: one org's history, no other tenant's events). For the
 * questions that concern every chat of an org (which chats a user could
 * read, `tenantry audit replay` and `verify`); a question about one chat
 * reads only its bearing streams instead (chat-world.ts).
 */
export async function replayOrg(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  orgId: string,
  instant: Instant,
  onEvent?: (event: RecordedEvent) => void,
  stops?: OrgReplayStops,
): Promise<OrgWorld> {
  const prefix = streams.tenantPrefix(orgId);
  let org = emptyCut(orgFold);
  const chats = new Map<string, StreamCut<ChatState>>();
  const groups = new Map<string, StreamCut<GroupState>>();
  const workspaces = new Map<string, StreamCut<WorkspaceState>>();
  const ended = new Set<string>();
  let events = 0;
  const fold = <S>(map: Map<string, StreamCut<S>>, f: Fold<S>, id: string, event: RecordedEvent) =>
    map.set(id, step(f, upcasters, map.get(id) ?? emptyCut(f), event));
  const pending = [...(stops?.positions ?? [])].sort();
  const visitUpTo = (position: Position | null) => {
    while (pending.length > 0 && (position === null || pending[0]! < position)) {
      stops!.visit(pending.shift()!, { orgId, org, chats, groups, workspaces, events });
    }
  };
  // Messages change nobody's access, and are most of an org's events: the store leaves them out.
  const read = eventStore.readAll({ streamPrefix: prefix, excludeStreamSuffix: MESSAGES_STREAM_SUFFIX });
  for await (const event of read) {
    onEvent?.(event);
    visitUpTo(event.position);
    if (instant.kind === 'position' && event.position > instant.position) break;
    if (instant.kind === 'time' && event.recordedAt.getTime() > instant.ms + TIME_CUT_SLACK_MS) break;
    const name = event.streamName.slice(prefix.length);
    if (ended.has(name)) continue;
    if (!includes(instant, event)) {
      ended.add(name); // a stream is cut at its first event past the instant (instant.ts)
      continue;
    }
    if (name.startsWith('reservation-')) continue;
    events++;
    if (name === 'organization') org = step(orgFold, upcasters, org, event);
    else if (name.startsWith('chat-')) fold(chats, chatFold, name.slice('chat-'.length), event);
    else if (name.startsWith('group-')) fold(groups, groupFold, name.slice('group-'.length), event);
    else if (name.startsWith('workspace-'))
      fold(workspaces, workspaceFold, name.slice('workspace-'.length), event);
  }
  visitUpTo(null);
  return { orgId, org, chats, groups, workspaces, events };
}

/**
 * Positions at which a whole-org replay shows its world on the way (verify
 * compares each read model at its own checkpoint, in one read of the log).
 * `visit` sees the world as it stands once every event at or before the
 * position is folded; the maps are the replay's own and change after it
 * returns, so it must finish with them synchronously. Positions past the
 * replay's instant are visited at its end.
 */
export interface OrgReplayStops {
  readonly positions: readonly Position[];
  visit(position: Position, world: OrgWorld): void;
}

/** One chat's world taken out of the org's: the same bearing streams chat-world.ts would read. */
export function chatWorldIn(world: OrgWorld, chatId: string): ChatWorldAt {
  const chat = world.chats.get(chatId);
  if (!chat || chat.state.status === 'absent') return { status: 'absent', world: null };
  const state = chat.state;
  const cutOf = (id: string) => world.chats.get(id) ?? emptyCut(chatFold);
  const root = cutOf(state.rootChatId);
  const ancestors: Array<StreamCut<ChatState>> = [];
  for (let next = state.parentChatId; next !== null && next !== state.rootChatId;) {
    const cut = cutOf(next);
    ancestors.push(cut);
    if (cut.state.status === 'absent' || ancestors.length > world.chats.size) break;
    next = cut.state.parentChatId;
  }
  const rootState = root.state;
  const groups = new Map<string, StreamCut<GroupState>>();
  if (rootState.status !== 'absent') {
    for (const { subject } of rootState.acl.values()) {
      if (subject.kind === 'group')
        groups.set(subject.id, world.groups.get(subject.id) ?? emptyCut(groupFold));
    }
  }
  const workspaceId = rootState.status === 'absent' ? null : rootState.workspaceId;
  const chatWorld: ChatWorld = {
    orgId: world.orgId,
    chatId,
    org: world.org,
    chat,
    root,
    ancestors,
    workspace: workspaceId === null ? null : (world.workspaces.get(workspaceId) ?? emptyCut(workspaceFold)),
    groups,
  };
  return classify(chatWorld);
}

/** The chats the world holds (created, deleted or not), in creation order (their ChatCreated position). */
function chatsByCreation(world: OrgWorld): Array<{ chatId: string; createdPosition: string }> {
  const chats = [];
  for (const [chatId, cut] of world.chats) {
    if (cut.state.status !== 'absent') chats.push({ chatId, createdPosition: cut.state.createdBy.position });
  }
  return chats.sort((a, b) => (a.createdPosition < b.createdPosition ? -1 : 1));
}

/** Live chats in creation order (their ChatCreated position). */
export function liveChats(
  world: OrgWorld,
): Array<{ chatId: string; createdPosition: string; at: ChatWorldAt & { status: 'live' } }> {
  const live = [];
  for (const { chatId, createdPosition } of chatsByCreation(world)) {
    const at = chatWorldIn(world, chatId);
    if (at.status === 'live') live.push({ chatId, createdPosition, at });
  }
  return live;
}

/** Effective access of every (user, live chat) of the org: what `chat_access` should hold. */
export function* accessRows(
  world: OrgWorld,
): Generator<{ chatId: string; userId: string; permissions: Permission[]; writeBlocked: boolean }> {
  for (const { chatId, at } of liveChats(world)) {
    for (const { userId, decision } of everyoneWithAccess(at.world)) {
      yield {
        chatId,
        userId,
        permissions: decision.permissions,
        writeBlocked: decision.writeBlocked !== null,
      };
    }
  }
}

export interface UserChatAccess extends UserAccess {
  readonly chatId: string;
  readonly rootChatId: string;
  readonly createdPosition: string;
}

/**
 * The chats a user could read at an instant, with permissions and reasons
 * (GET …/audit/user-access), in creation order, one page after `after` (a
 * ChatCreated position).
 */
export async function userAccessAt(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  query: { orgId: string; userId: string; asOf?: Instant; limit: number; after: string | null },
  options: ReplayOptions = {},
): Promise<{ items: UserChatAccess[]; next: string | null }> {
  const source = replaySource(eventStore, upcasters, options);
  const instant = await resolveInstant(source.eventStore, query.asOf);
  const world = await replayOrg(eventStore, upcasters, query.orgId, instant);
  const items: UserChatAccess[] = [];
  let decided = 0;
  for (const { chatId, createdPosition } of chatsByCreation(world)) {
    if (query.after !== null && createdPosition <= query.after) continue;
    // An org of tens of thousands of chats, most of them not the user's, is not decided in one
    // go: other requests get the event loop between every few hundred.
    if (++decided % CHATS_PER_YIELD === 0) await yieldToEventLoop();
    const at = chatWorldIn(world, chatId);
    if (at.status !== 'live') continue;
    const decision = decide(at.world, query.userId);
    if (!decision.permissions.includes('read')) continue;
    if (items.length === query.limit) return { items, next: items.at(-1)!.createdPosition };
    items.push({
      chatId,
      rootChatId: at.world.rootState.chatId,
      createdPosition,
      ...userAccess(at.world, query.userId, decision),
    });
  }
  return { items, next: null };
}
