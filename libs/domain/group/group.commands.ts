import { type ActiveOrganization } from '../organization/organization.state.js';

/**
 * Every group command carries the organization as the handler loaded it from
 * its stream: the actor's role and the org membership of users added are
 * decided from it, strongly consistent (DESIGN.md §2), never from a read model.
 */
interface InOrganization {
  readonly actorId: string;
  readonly org: ActiveOrganization;
}

export interface CreateGroup extends InOrganization {
  readonly type: 'CreateGroup';
  readonly groupId: string;
  readonly name: string;
}

/** PUT /v1/orgs/{org}/groups/{groupId}/members/{userId}. */
export interface AddGroupMember extends InOrganization {
  readonly type: 'AddGroupMember';
  readonly userId: string;
}

/** DELETE /v1/orgs/{org}/groups/{groupId}/members/{userId}. */
export interface RemoveGroupMember extends InOrganization {
  readonly type: 'RemoveGroupMember';
  readonly userId: string;
}

export interface DeleteGroup extends InOrganization {
  readonly type: 'DeleteGroup';
}

export type GroupCommand = CreateGroup | AddGroupMember | RemoveGroupMember | DeleteGroup;
