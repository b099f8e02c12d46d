import { type WorkspaceRole } from '../../authz/policy.js';
import { type ActiveOrganization } from '../organization/organization.state.js';

/**
 * Every workspace command is issued by a user inside an organization. The
 * handler loads that organization's state and puts it on the command: the
 * workspace's rules depend on the actor's and the target's org roles and on
 * `workspaceSharingDisabled`, and a decider reads no other stream itself.
 */
interface InOrg {
  readonly actorId: string;
  readonly org: ActiveOrganization;
}

/** POST /v1/orgs/{org}/workspaces. The handler also reserves the slug in the org (DESIGN.md §6). */
export interface CreateWorkspace extends InOrg {
  readonly type: 'CreateWorkspace';
  readonly workspaceId: string;
  readonly slug: string;
  readonly name: string;
}

/** PUT /v1/orgs/{org}/workspaces/{ws}/members/{userId}: adds the user or changes their role. */
export interface SetWorkspaceMemberRole extends InOrg {
  readonly type: 'SetWorkspaceMemberRole';
  readonly userId: string;
  readonly role: WorkspaceRole;
}

export interface RemoveWorkspaceMember extends InOrg {
  readonly type: 'RemoveWorkspaceMember';
  readonly userId: string;
}

export interface ArchiveWorkspace extends InOrg {
  readonly type: 'ArchiveWorkspace';
}

export interface UnarchiveWorkspace extends InOrg {
  readonly type: 'UnarchiveWorkspace';
}

export type WorkspaceCommand =
  CreateWorkspace | SetWorkspaceMemberRole | RemoveWorkspaceMember | ArchiveWorkspace | UnarchiveWorkspace;
