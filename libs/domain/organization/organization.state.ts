import { type OrgRole } from '../../authz/policy.js';
import { isRoleManager, ORG_ROLE_MANAGEMENT } from '../../authz/role-management.js';
import { type EventRef, type PersistentMap, type PersistentSet } from '../kernel/index.js';
import { type OrgSettings } from './organization.events.js';

export interface OrgMember {
  readonly role: OrgRole;
  /** The event that gave the member their current role. */
  readonly since: EventRef;
}

export type OrganizationState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active';
      readonly orgId: string;
      readonly slug: string;
      readonly name: string;
      /** Members by user id (persistent: see libs/domain/kernel/persistent.ts). */
      readonly members: PersistentMap<string, OrgMember>;
      /** The ids of the members whose role is `owner`, kept beside `members` so the last-owner rule is O(1). */
      readonly owners: PersistentSet<string>;
      /** The ids of the members whose role is `admin`: with `owners`, who holds every chat (audit candidates, O(1) per question). */
      readonly admins: PersistentSet<string>;
      readonly settings: OrgSettings;
      /** The event behind the current settings; null while they are the defaults of creation. */
      readonly settingsChangedBy: EventRef | null;
    };

export type ActiveOrganization = Extract<OrganizationState, { status: 'active' }>;

export function ownerCount(org: ActiveOrganization): number {
  return org.owners.size;
}

/** Owners and admins manage the organization (DESIGN.md §5 Organization): the role-management policy's managers. */
export function isOrgManager(role: OrgRole | undefined): boolean {
  return isRoleManager(ORG_ROLE_MANAGEMENT, role);
}
