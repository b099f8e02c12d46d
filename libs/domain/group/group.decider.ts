import { type OrgRole } from '../../authz/policy.js';
import {
  assertNever,
  assertText,
  type Decider,
  PersistentMap,
  refuse,
  type Recorded,
} from '../kernel/index.js';
import { type ActiveOrganization, isOrgManager } from '../organization/organization.state.js';
import {
  type AddGroupMember,
  type CreateGroup,
  type GroupCommand,
  type RemoveGroupMember,
} from './group.commands.js';
import { type GroupEvent } from './group.events.js';
import { type ActiveGroup, type GroupState } from './group.state.js';

export const GROUP_NAME_MAX = 100;

/**
 * A group of org members (DESIGN.md §5 Group), the subject of chat ACL
 * entries. Owners and admins of the org manage it; every org member may see
 * it (GET lists groups to members), so a member who may not manage it gets
 * 403, while a non-member of the org gets the org's 404.
 *
 * A user who leaves the org stays in its groups' streams: such memberships
 * grant nothing, since libs/authz requires org membership first (§5 rule 1),
 * and they can still be removed here.
 */
export const groupDecider: Decider<GroupCommand, GroupEvent, GroupState> = {
  initialState: { status: 'absent' },

  decide(command, state) {
    const actorRole = orgRoleOf(command.actorId, command.org);
    if (command.type === 'CreateGroup') return create(command, actorRole, state);
    const group = visibleIn(command.org, state);
    assertManager(actorRole);
    switch (command.type) {
      case 'AddGroupMember':
        return addMember(command, group);
      case 'RemoveGroupMember':
        return removeMember(command, group);
      case 'DeleteGroup':
        return [{ type: 'GroupDeleted', data: { orgId: group.orgId, groupId: group.groupId } }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event: Recorded<GroupEvent>) {
    if (event.type === 'GroupCreated') {
      const { orgId, groupId, name } = event.data;
      return { status: 'active', orgId, groupId, name, members: PersistentMap() };
    }
    if (state.status !== 'active') return state;
    switch (event.type) {
      case 'GroupMemberAdded':
        return { ...state, members: state.members.set(event.data.userId, { since: event.ref }) };
      case 'GroupMemberRemoved':
        return { ...state, members: state.members.remove(event.data.userId) };
      case 'GroupDeleted': {
        const { orgId, groupId, name } = state;
        return { status: 'deleted', orgId, groupId, name, deletedBy: event.ref };
      }
      default:
        return assertNever(event);
    }
  },
};

/** Non-members cannot see the organization, so nothing in it either: 404 (DESIGN.md §5). */
function orgRoleOf(actorId: string, org: ActiveOrganization): OrgRole {
  const member = org.members.get(actorId);
  if (!member) throw refuse.notFound('ORG.NOT_FOUND', 'organization not found');
  return member.role;
}

function assertManager(role: OrgRole): void {
  if (!isOrgManager(role)) throw refuse.forbidden('GROUP.FORBIDDEN', 'only owners and admins manage groups');
}

/**
 * A deleted group is missing for every command (404), like one that never
 * existed; so is a group of another org, which a correct handler never loads
 * but which must not be managed through this org's roles if it did.
 */
function visibleIn(org: ActiveOrganization, state: GroupState): ActiveGroup {
  if (state.status !== 'active' || state.orgId !== org.orgId) {
    throw refuse.notFound('GROUP.NOT_FOUND', 'group not found');
  }
  return state;
}

function create(command: CreateGroup, actorRole: OrgRole, state: GroupState): GroupEvent[] {
  assertManager(actorRole);
  if (state.status !== 'absent') throw refuse.conflict('GROUP.ALREADY_EXISTS', 'group already exists');
  assertText('name', command.name, GROUP_NAME_MAX);
  return [
    {
      type: 'GroupCreated',
      data: { orgId: command.org.orgId, groupId: command.groupId, name: command.name },
    },
  ];
}

/**
 * PUT is idempotent: adding a member already there appends nothing. The
 * org-membership check comes first, so a user who has left the org is
 * refused (400) rather than confirmed as a member.
 */
function addMember(command: AddGroupMember, group: ActiveGroup): GroupEvent[] {
  const { userId } = command;
  if (!command.org.members.get(userId)) {
    const message = `user ${userId} is not a member of the organization`;
    throw refuse.invalid('GROUP.NOT_ORG_MEMBER', message, [{ field: 'userId', message }]);
  }
  if (group.members.get(userId)) return [];
  return [{ type: 'GroupMemberAdded', data: { orgId: group.orgId, groupId: group.groupId, userId } }];
}

/** DELETE is idempotent: removing a user who is not a member appends nothing. */
function removeMember(command: RemoveGroupMember, group: ActiveGroup): GroupEvent[] {
  const { userId } = command;
  if (!group.members.get(userId)) return [];
  return [{ type: 'GroupMemberRemoved', data: { orgId: group.orgId, groupId: group.groupId, userId } }];
}
