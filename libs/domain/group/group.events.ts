import { type DomainEvent } from '../kernel/index.js';

export type GroupCreated = DomainEvent<'GroupCreated', { orgId: string; groupId: string; name: string }>;
export type GroupMemberAdded = DomainEvent<
  'GroupMemberAdded',
  { orgId: string; groupId: string; userId: string }
>;
export type GroupMemberRemoved = DomainEvent<
  'GroupMemberRemoved',
  { orgId: string; groupId: string; userId: string }
>;
/**
 * Members are not removed one by one before deletion: a deleted group grants
 * nothing (libs/authz's loaders leave out memberships of deleted groups), and
 * one event keeps the deletion atomic in the ACL history.
 */
export type GroupDeleted = DomainEvent<'GroupDeleted', { orgId: string; groupId: string }>;

export type GroupEvent = GroupCreated | GroupMemberAdded | GroupMemberRemoved | GroupDeleted;
