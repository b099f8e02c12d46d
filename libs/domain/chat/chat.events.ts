import { type AclRole } from '../../authz/policy.js';
import { type DomainEvent } from '../kernel/index.js';

/** Who an ACL entry is for: a user or a group of the chat's org. */
export interface ChatSubject {
  readonly kind: 'user' | 'group';
  readonly id: string;
}

/**
 * `workspaceId` is the root's workspace on a sub-chat too (it belongs there,
 * DESIGN.md §5), so lists filtered by workspace need no walk up the tree.
 * `ownerId` is the creator; on a sub-chat it grants nothing (libs/authz rule 2
 * counts the root's owner only): the read side shows it as `createdBy`, and
 * the root's `ownerId` as the sub-chat's owner (DESIGN.md §5 Chat).
 */
export type ChatCreated = DomainEvent<
  'ChatCreated',
  {
    orgId: string;
    chatId: string;
    title: string;
    ownerId: string;
    workspaceId: string | null;
    parentChatId: string | null;
    rootChatId: string;
  }
>;
export type ChatRenamed = DomainEvent<
  'ChatRenamed',
  { orgId: string; chatId: string; title: string; previousTitle: string }
>;
/** Adds an entry (`previousRole` null) or changes its role: the before and after an audit shows. */
export type ChatShared = DomainEvent<
  'ChatShared',
  { orgId: string; chatId: string; subject: ChatSubject; role: AclRole; previousRole: AclRole | null }
>;
export type ChatUnshared = DomainEvent<
  'ChatUnshared',
  { orgId: string; chatId: string; subject: ChatSubject; previousRole: AclRole }
>;
/**
 * Deleting a root takes its sub-chats with it (libs/authz rule 1), without
 * an event on their streams: one event keeps the deletion atomic in the ACL
 * history, as `GroupDeleted` does for memberships.
 */
export type ChatDeleted = DomainEvent<'ChatDeleted', { orgId: string; chatId: string }>;
/**
 * Appended to `streams.chatMessages(orgId, chatId)`, never to the chat's own
 * stream, so posting never loads the history (DESIGN.md §5: O(1)).
 */
export type ChatMessagePosted = DomainEvent<
  'ChatMessagePosted',
  { orgId: string; chatId: string; messageId: string; authorId: string; body: string }
>;

export type ChatEvent =
  ChatCreated | ChatRenamed | ChatShared | ChatUnshared | ChatDeleted | ChatMessagePosted;
