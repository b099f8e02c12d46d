import { type WorkspaceRole } from '../../authz/policy.js';
import { type DomainEvent } from '../kernel/index.js';

export type WorkspaceCreated = DomainEvent<
  'WorkspaceCreated',
  { orgId: string; workspaceId: string; slug: string; name: string; createdBy: string }
>;
export type WorkspaceMemberAdded = DomainEvent<
  'WorkspaceMemberAdded',
  { orgId: string; workspaceId: string; userId: string; role: WorkspaceRole }
>;
/** Shared with organizations (DESIGN.md §6); `scope` tells them apart. */
export type WorkspaceMemberRoleChanged = DomainEvent<
  'MemberRoleChanged',
  {
    scope: 'workspace';
    orgId: string;
    workspaceId: string;
    userId: string;
    role: WorkspaceRole;
    previousRole: WorkspaceRole;
  }
>;
export type WorkspaceMemberRemoved = DomainEvent<
  'WorkspaceMemberRemoved',
  { orgId: string; workspaceId: string; userId: string; previousRole: WorkspaceRole }
>;
export type WorkspaceArchived = DomainEvent<'WorkspaceArchived', { orgId: string; workspaceId: string }>;
export type WorkspaceUnarchived = DomainEvent<'WorkspaceUnarchived', { orgId: string; workspaceId: string }>;

export type WorkspaceEvent =
  | WorkspaceCreated
  | WorkspaceMemberAdded
  | WorkspaceMemberRoleChanged
  | WorkspaceMemberRemoved
  | WorkspaceArchived
  | WorkspaceUnarchived;
