import { type OrgRole } from '../../authz/policy.js';
import { type DomainEvent } from '../kernel/index.js';

export interface OrgSettings {
  readonly chatSharingDisabled: boolean;
  readonly workspaceSharingDisabled: boolean;
}

export type OrganizationCreated = DomainEvent<
  'OrganizationCreated',
  { orgId: string; slug: string; name: string; createdBy: string }
>;
export type OrgMemberAdded = DomainEvent<'OrgMemberAdded', { orgId: string; userId: string; role: OrgRole }>;
/** Shared with workspaces (DESIGN.md §6); `scope` tells them apart. */
export type OrgMemberRoleChanged = DomainEvent<
  'MemberRoleChanged',
  { scope: 'organization'; orgId: string; userId: string; role: OrgRole; previousRole: OrgRole }
>;
export type OrgMemberRemoved = DomainEvent<
  'OrgMemberRemoved',
  { orgId: string; userId: string; previousRole: OrgRole }
>;
export type OrgSettingsChanged = DomainEvent<
  'OrgSettingsChanged',
  { orgId: string; settings: OrgSettings; previous: OrgSettings }
>;

export type OrganizationEvent =
  OrganizationCreated | OrgMemberAdded | OrgMemberRoleChanged | OrgMemberRemoved | OrgSettingsChanged;
