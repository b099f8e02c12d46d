import { type OrgRole } from '../../authz/policy.js';

/** Who issues a command: always a user; the operator never acts on tenant data. */
interface ByActor {
  readonly actorId: string;
}

export interface CreateOrganization extends ByActor {
  readonly type: 'CreateOrganization';
  readonly orgId: string;
  readonly slug: string;
  readonly name: string;
}

/** PUT /v1/orgs/{org}/members/{userId}: adds the user or changes their role. */
export interface SetOrgMemberRole extends ByActor {
  readonly type: 'SetOrgMemberRole';
  readonly userId: string;
  readonly role: OrgRole;
  /** Looked up by the handler in the user's stream: only registered users can join. */
  readonly userIsRegistered: boolean;
}

export interface RemoveOrgMember extends ByActor {
  readonly type: 'RemoveOrgMember';
  readonly userId: string;
}

export interface ChangeOrgSettings extends ByActor {
  readonly type: 'ChangeOrgSettings';
  readonly chatSharingDisabled?: boolean;
  readonly workspaceSharingDisabled?: boolean;
}

export type OrganizationCommand = CreateOrganization | SetOrgMemberRole | RemoveOrgMember | ChangeOrgSettings;
