import { AccessFactsError, type ChatAccessFacts } from '../../authz/access-facts.js';
import { type AccessDecision, evaluateChatAccess } from '../../authz/evaluate.js';
import { type GroupState, groupMembershipOf } from '../group/group.state.js';
import { type ActiveOrganization } from '../organization/organization.state.js';
import { type WorkspaceState } from '../workspace/workspace.state.js';
import { type ExistingChat, isRootChat } from './chat.state.js';

/** What the command side knows about one user and one chat, as aggregate states. */
export interface ChatAccessInput {
  readonly userId: string;
  readonly org: ActiveOrganization;
  /** The chat asked about, active or deleted. */
  readonly chat: ExistingChat;
  /** Its root: the same state as `chat` for a root. */
  readonly root: ExistingChat;
  /** The chats strictly between `chat` and `root`, parent first; empty for a root and its direct sub-chats. */
  readonly ancestors: readonly ExistingChat[];
  /** The root's workspace; null when the root is bound to none. */
  readonly workspace: WorkspaceState | null;
  /** The groups named in the root's ACL, by id. */
  readonly groups: Readonly<Record<string, GroupState>>;
}

/**
 * The command side's loader for libs/authz: aggregate states → ChatAccessFacts.
 * It resolves identities and liveness, and applies no access rule itself; the
 * rules are {@link evaluateChatAccess}'s alone.
 *
 * - The org membership is the user's current one (null when they left).
 * - `chat.deleted` is set when the chat or any chat between it and the root
 *   was deleted (a sub-chat under a deleted parent is unreachable); the
 *   root's own deletion goes in `root.deleted`, which hides every sub-chat.
 * - Groups: only groups supplied here as ACTIVE groups of the org count. The
 *   user's membership of each is a fact; the root's ACL entries for any other
 *   group (deleted, of another org, or not supplied) are left out of
 *   `root.acl`, so a deleted group grants nothing through its stored entries,
 *   and a handler that forgot to load a group fails closed. User entries stay:
 *   an entry for someone who left the org is harmless, rule 1 gives them nothing.
 * - The workspace membership is the one STORED on the workspace, unfiltered:
 *   libs/authz applies `workspaceSharingDisabled` itself, with the same policy
 *   list that workspace.access.ts's `countedWorkspaceRole` uses (the two are
 *   compared on every role and switch in chat-access.test.ts). Filtering here
 *   as well would apply the setting twice and hide it from audit reasons.
 *
 * @throws AccessFactsError when the states contradict each other (another
 * org's chat, ancestors that do not lead from the chat to the
 * root, a root that is not a root, a workspace that is not the root's): a
 * loader bug, on which deciding could grant through the wrong facts.
 */
export function chatAccessFacts(input: ChatAccessInput): ChatAccessFacts {
  return chatAccessFactsFor(input)(input.userId);
}

/** What `userId` may do on the chat: libs/authz's answer on {@link chatAccessFacts}. */
export function decideAccess(input: ChatAccessInput): AccessDecision {
  return evaluateChatAccess(chatAccessFacts(input));
}

/**
 * {@link chatAccessFacts} for many users of one chat: the checks and the
 * facts that do not depend on the user (the tree, the live groups, the
 * root's ACL) are made once, and the answer gives each user's facts from
 * them. The audit asks about every candidate of a chat (hundreds), and
 * doing those once per candidate was most of its time (libs/audit
 * chat-world.ts). Same rules, same errors, as {@link chatAccessFacts}.
 */
export function chatAccessFactsFor(
  input: Omit<ChatAccessInput, 'userId'>,
): (userId: string) => ChatAccessFacts {
  const { org, chat, root, ancestors, workspace, groups } = input;
  assertConsistentTree(input);
  const liveGroups = Object.values(groups).filter(
    (group): group is Extract<GroupState, { status: 'active' }> =>
      group.status === 'active' && group.orgId === org.orgId,
  );
  const liveGroupIds = new Set(liveGroups.map((group) => group.groupId));
  const chatFacts: ChatAccessFacts['chat'] = {
    id: chat.chatId,
    rootId: chat.rootChatId,
    ownerId: chat.ownerId,
    deleted: chat.status === 'deleted' || ancestors.some((ancestor) => ancestor.status === 'deleted'),
  };
  const rootFacts: ChatAccessFacts['root'] = {
    id: root.chatId,
    ownerId: root.ownerId,
    createdBy: root.createdBy,
    deleted: root.status === 'deleted',
    acl: [...root.acl.values()].filter(
      (entry) => entry.subject.kind === 'user' || liveGroupIds.has(entry.subject.id),
    ),
  };
  return (userId) => {
    const orgMember = org.members.get(userId);
    return {
      userId,
      org: {
        chatSharingDisabled: org.settings.chatSharingDisabled,
        workspaceSharingDisabled: org.settings.workspaceSharingDisabled,
        membership: orgMember ? { role: orgMember.role, since: orgMember.since } : null,
      },
      chat: chatFacts,
      root: rootFacts,
      groupMemberships: liveGroups.flatMap((group) => groupMembershipOf(group, userId) ?? []),
      workspace: workspaceFacts(root, workspace, org, userId),
    };
  };
}

function workspaceFacts(
  root: ExistingChat,
  workspace: WorkspaceState | null,
  org: ActiveOrganization,
  userId: string,
): ChatAccessFacts['workspace'] {
  if (root.workspaceId === null) {
    if (workspace !== null) inconsistent(`chat ${root.chatId} is in no workspace, but one was supplied`);
    return null;
  }
  // Workspaces are never deleted, so the root's workspace always exists.
  if (
    workspace === null ||
    workspace.status !== 'active' ||
    workspace.workspaceId !== root.workspaceId ||
    workspace.orgId !== org.orgId
  ) {
    return inconsistent(`chat ${root.chatId} is in workspace ${root.workspaceId}, which was not supplied`);
  }
  const member = workspace.members.get(userId);
  return {
    id: workspace.workspaceId,
    archivedBy: workspace.archivedBy,
    membership: member ? { role: member.role, since: member.since } : null,
  };
}

function assertConsistentTree({ org, chat, root, ancestors }: Omit<ChatAccessInput, 'userId'>): void {
  for (const state of [chat, root, ...ancestors]) {
    if (state.orgId !== org.orgId) inconsistent(`chat ${state.chatId} is not in org ${org.orgId}`);
  }
  if (!isRootChat(root) || root.parentChatId !== null) inconsistent(`chat ${root.chatId} is not a root`);
  if (chat.rootChatId !== root.chatId) inconsistent(`chat ${chat.chatId} is not under root ${root.chatId}`);
  if (isRootChat(chat)) {
    if (chat.chatId !== root.chatId || ancestors.length > 0) inconsistent(`${chat.chatId} is its own root`);
    return;
  }
  let expected = chat.parentChatId;
  for (const ancestor of ancestors) {
    if (ancestor.chatId !== expected || ancestor.rootChatId !== root.chatId) {
      inconsistent(`chat ${ancestor.chatId} is not the parent (${expected}) expected on the way to the root`);
    }
    expected = ancestor.parentChatId;
  }
  if (expected !== root.chatId)
    inconsistent(`the ancestors of ${chat.chatId} do not reach root ${root.chatId}`);
}

function inconsistent(message: string): never {
  throw new AccessFactsError(message);
}
