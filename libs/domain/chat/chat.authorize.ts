import { AccessFactsError } from '../../authz/access-facts.js';
import { type AccessDecision } from '../../authz/evaluate.js';
import { ACCESS_POLICY, type Permission } from '../../authz/policy.js';
import { refuse } from '../kernel/index.js';
import { type ActiveOrganization } from '../organization/organization.state.js';
import { type WorkspaceState } from '../workspace/workspace.state.js';
import { type ChatAccessInput, decideAccess } from './chat-access.js';
import { type ChatTree } from './chat.commands.js';
import { type ActiveChat, type ChatState, type ExistingChat, isRootChat } from './chat.state.js';

/**
 * The status rules of DESIGN.md §5, in their order, for commands on a chat.
 * Every permission comes from libs/authz (through chat-access.ts); nothing
 * here knows which role grants what.
 *
 * 1. {@link visibleChat}: 404. A non-member of the org gets the org's 404
 *    (`ORG.NOT_FOUND`), as on every route of an org they cannot see, even
 *    if they own the chat; an org member gets `CHAT.NOT_FOUND` alike for a
 *    missing, deleted, other-tenant or unreadable chat.
 * 2. The command's own 400s, for callers who can read.
 * 3. {@link assertPermitted}: 410 when the root's workspace is archived, for
 *    every reader, then 403.
 */
export function visibleChat(
  command: {
    readonly actorId: string;
    readonly org: ActiveOrganization;
    readonly workspace: WorkspaceState | null;
  } & ChatTree,
  state: ChatState,
): { chat: ActiveChat; decision: AccessDecision } {
  const { actorId, org } = command;
  if (!org.members.get(actorId)) throw orgNotFound();
  if (state.status !== 'active' || state.orgId !== org.orgId) throw chatNotFound();
  const decision = decideAccess(accessInput(actorId, org, state, command, command.workspace));
  if (!decision.permissions.includes('read')) throw chatNotFound();
  return { chat: state, decision };
}

/** 410 before 403 (DESIGN.md §5): `writeBlocked` is set for every reader of an archived workspace's chat. */
export function assertPermitted(decision: AccessDecision, permission: Permission): void {
  if (decision.writeBlocked && ACCESS_POLICY.blockedWhileArchived.includes(permission)) {
    throw refuse.gone('WORKSPACE.ARCHIVED', 'the workspace is archived');
  }
  if (!decision.permissions.includes(permission)) {
    throw refuse.forbidden('CHAT.FORBIDDEN', `you may not ${permission} on this chat`);
  }
}

/** The access input for `userId` on an existing `chat`, from the tree its command carries. */
export function accessInput(
  userId: string,
  org: ActiveOrganization,
  chat: ExistingChat,
  tree: ChatTree,
  workspace: WorkspaceState | null,
): ChatAccessInput {
  const root = isRootChat(chat) ? chat : tree.root;
  if (root === null || root.status === 'absent') {
    throw new AccessFactsError(`the root ${chat.rootChatId} of chat ${chat.chatId} was not supplied`);
  }
  const ancestors = tree.ancestors.map((ancestor) => {
    if (ancestor.status === 'absent') throw new AccessFactsError(`an ancestor of ${chat.chatId} is absent`);
    return ancestor;
  });
  return { userId, org, chat, root, ancestors, workspace, groups: tree.groups };
}

export const orgNotFound = () => refuse.notFound('ORG.NOT_FOUND', 'organization not found');
export const chatNotFound = () => refuse.notFound('CHAT.NOT_FOUND', 'chat not found');
