import { ACCESS_POLICY } from '../../authz/policy.js';
import { assertText, refuse } from '../kernel/index.js';
import { assertWritable, canSeeWorkspace, effectiveWorkspaceRole } from '../workspace/workspace.access.js';
import { accessInput, assertPermitted, orgNotFound } from './chat.authorize.js';
import { decideAccess } from './chat-access.js';
import { type CreateChat } from './chat.commands.js';
import { type ChatCreated, type ChatEvent } from './chat.events.js';
import { type ChatState } from './chat.state.js';

export const CHAT_TITLE_MAX = 200;

/**
 * DESIGN.md §5 Chat, creation. Checks run in the workspace's order: 404 (not
 * in the org) → 403 (auditor) → 409 (id taken: a retry) → 400 (title; a
 * workspace of its own on a sub-chat) → then, for the workspace or parent,
 * 400 (unknown to the creator) → 410 (archived) → 403 (may not write there).
 *
 * - A workspace the creator cannot see (missing, of another org, or only
 *   reachable through a membership `workspaceSharingDisabled` makes inert) is
 *   "unknown" (400), never confirmed by a 410 or 403.
 * - "May write to the workspace" is read from the access policy: the
 *   creator's effective workspace role (org owners and admins act as admins)
 *   must be one whose chat permissions include `write`; a viewer gets 403.
 * - A parent the creator cannot read is unknown (400), whatever the reason
 *   (missing, deleted, under a deleted chat, another org's, not shared).
 *   Who can read it and is archived gets 410; who can read it without
 *   `write` gets 403. Nesting has no limit: the new chat's root is the
 *   parent's root.
 * - The creator owns the new chat; on a sub-chat that grants nothing beyond
 *   what the root gives them (libs/authz rule 2).
 */
export function createChat(command: CreateChat, state: ChatState): ChatEvent[] {
  const { org, actorId, chatId, title, workspaceId, parentChatId } = command;
  const role = org.members.get(actorId)?.role;
  if (role === undefined) throw orgNotFound();
  if (role === 'auditor') throw refuse.forbidden('CHAT.FORBIDDEN', 'auditors do not create chats');
  if (state.status !== 'absent') throw refuse.conflict('CHAT.ALREADY_EXISTS', 'chat already exists');
  assertText('title', title, CHAT_TITLE_MAX);
  const created = { orgId: org.orgId, chatId, title, ownerId: actorId };
  if (parentChatId !== undefined) {
    if (workspaceId !== undefined) {
      const message = 'a sub-chat belongs to the workspace of its root and takes no workspaceId';
      throw refuse.invalid('CHAT.SUBCHAT_WORKSPACE', message, [{ field: 'workspaceId', message }]);
    }
    return [{ type: 'ChatCreated', data: { ...created, ...underParent(command, parentChatId) } }];
  }
  if (workspaceId !== undefined) inWorkspace(command, workspaceId);
  return [
    {
      type: 'ChatCreated',
      data: { ...created, workspaceId: workspaceId ?? null, parentChatId: null, rootChatId: chatId },
    },
  ];
}

function inWorkspace(command: CreateChat, workspaceId: string): void {
  const { workspace, org, actorId } = command;
  if (
    workspace === null ||
    workspace.status !== 'active' ||
    workspace.workspaceId !== workspaceId ||
    !canSeeWorkspace(workspace, org, actorId)
  ) {
    const message = `workspace ${workspaceId} does not exist`;
    throw refuse.invalid('CHAT.UNKNOWN_WORKSPACE', message, [{ field: 'workspaceId', message }]);
  }
  assertWritable(workspace);
  const role = effectiveWorkspaceRole(workspace, org, actorId);
  if (role === null || !ACCESS_POLICY.workspaceRoles[role].includes('write')) {
    throw refuse.forbidden('CHAT.FORBIDDEN', 'you may not create chats in this workspace');
  }
}

function underParent(
  command: CreateChat,
  parentChatId: string,
): Pick<ChatCreated['data'], 'workspaceId' | 'parentChatId' | 'rootChatId'> {
  const { parent, org, actorId } = command;
  const unknownParent = () => {
    const message = `chat ${parentChatId} does not exist`;
    return refuse.invalid('CHAT.UNKNOWN_PARENT', message, [{ field: 'parentChatId', message }]);
  };
  const chat = parent?.chat;
  if (
    !parent ||
    !chat ||
    chat.status !== 'active' ||
    chat.chatId !== parentChatId ||
    chat.orgId !== org.orgId
  ) {
    throw unknownParent();
  }
  const input = accessInput(actorId, org, chat, parent, command.workspace);
  const decision = decideAccess(input);
  if (!decision.permissions.includes('read')) throw unknownParent();
  assertPermitted(decision, 'write');
  return { workspaceId: input.root.workspaceId, parentChatId, rootChatId: input.root.chatId };
}
