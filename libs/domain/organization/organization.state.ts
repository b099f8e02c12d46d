import { type OrgRole } from '../../authz/policy.js';
import { type EventRef } from '../kernel/index.js';
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
      readonly members: Readonly<Record<string, OrgMember>>;
      readonly settings: OrgSettings;
      /** The event behind the current settings; null while they are the defaults of creation. */
      readonly settingsChangedBy: EventRef | null;
    };

export type ActiveOrganization = Extract<OrganizationState, { status: 'active' }>;

export function ownerCount(org: ActiveOrganization): number {
  return Object.values(org.members).filter((m) => m.role === 'owner').length;
}

/** Owners and admins manage the organization (DESIGN.md §5 Organization). */
export function isOrgManager(role: OrgRole | undefined): boolean {
  return role === 'owner' || role === 'admin';
}
