import { ORG_ROLES, type OrgRole } from '../../authz/policy.js';
import {
  judgeRoleChange,
  ORG_ROLE_MANAGEMENT,
  type RoleChange,
  type RoleChangeRefusal,
} from '../../authz/role-management.js';
import {
  assertNever,
  assertSlug,
  assertText,
  type Decider,
  PersistentMap,
  PersistentSet,
  refuse,
  type Recorded,
} from '../kernel/index.js';
import {
  type ChangeOrgSettings,
  type CreateOrganization,
  type OrganizationCommand,
  type RemoveOrgMember,
  type SetOrgMemberRole,
} from './organization.commands.js';
import { type OrganizationEvent } from './organization.events.js';
import {
  type ActiveOrganization,
  isOrgManager,
  type OrganizationState,
  ownerCount,
} from './organization.state.js';

export const ORG_NAME_MAX = 200;

/**
 * The organization (tenant) of DESIGN.md §5: its members, their roles and its
 * sharing settings. Slug uniqueness is not decided here: it lives in a
 * reservation stream the handler appends to (DESIGN.md §6).
 */
export const organizationDecider: Decider<OrganizationCommand, OrganizationEvent, OrganizationState> = {
  initialState: { status: 'absent' },

  decide(command, state) {
    if (command.type === 'CreateOrganization') return create(command, state);
    const org = visibleTo(command.actorId, state);
    switch (command.type) {
      case 'SetOrgMemberRole':
        return setMemberRole(command, org);
      case 'RemoveOrgMember':
        return removeMember(command, org);
      case 'ChangeOrgSettings':
        return changeSettings(command, org);
      default:
        return assertNever(command);
    }
  },

  evolve(state, event: Recorded<OrganizationEvent>) {
    if (event.type === 'OrganizationCreated') {
      return {
        status: 'active',
        orgId: event.data.orgId,
        slug: event.data.slug,
        name: event.data.name,
        members: PersistentMap(),
        owners: PersistentSet(),
        admins: PersistentSet(),
        settings: { chatSharingDisabled: false, workspaceSharingDisabled: false },
        settingsChangedBy: null,
      };
    }
    if (state.status !== 'active') return state;
    switch (event.type) {
      case 'OrgMemberAdded':
      case 'MemberRoleChanged': {
        const { userId, role } = event.data;
        return {
          ...state,
          members: state.members.set(userId, { role, since: event.ref }),
          owners: role === 'owner' ? state.owners.add(userId) : state.owners.remove(userId),
          admins: role === 'admin' ? state.admins.add(userId) : state.admins.remove(userId),
        };
      }
      case 'OrgMemberRemoved':
        return {
          ...state,
          members: state.members.remove(event.data.userId),
          owners: state.owners.remove(event.data.userId),
          admins: state.admins.remove(event.data.userId),
        };
      case 'OrgSettingsChanged':
        return { ...state, settings: event.data.settings, settingsChangedBy: event.ref };
      default:
        return assertNever(event);
    }
  },
};

/** Non-members cannot see the organization: 404, like one that does not exist (DESIGN.md §5). */
function visibleTo(actorId: string, state: OrganizationState): ActiveOrganization {
  if (state.status !== 'active' || !state.members.has(actorId)) {
    throw refuse.notFound('ORG.NOT_FOUND', 'organization not found');
  }
  return state;
}

function create(command: CreateOrganization, state: OrganizationState): OrganizationEvent[] {
  if (state.status !== 'absent') throw refuse.conflict('ORG.ALREADY_EXISTS', 'organization already exists');
  assertSlug('slug', command.slug);
  assertText('name', command.name, ORG_NAME_MAX);
  const { orgId, slug, name, actorId } = command;
  return [
    { type: 'OrganizationCreated', data: { orgId, slug, name, createdBy: actorId } },
    // The creator's ownership is an event of its own, so audits can name it as the grant.
    { type: 'OrgMemberAdded', data: { orgId, userId: actorId, role: 'owner' } },
  ];
}

/**
 * Role rules of DESIGN.md §5, applied by libs/authz role-management.ts (the
 * same rules as the workspace's); the organization adds only that a new
 * member must be a registered user.
 */
function setMemberRole(command: SetOrgMemberRole, org: ActiveOrganization): OrganizationEvent[] {
  assertOrgRole(command.role);
  const current = org.members.get(command.userId)?.role;
  const verdict = judgeRoleChange(ORG_ROLE_MANAGEMENT, roleChange(command, org, command.role));
  if (verdict === 'unchanged') return [];
  if (verdict !== 'allowed') throw refusal(verdict, 'demoted');
  if (current === undefined) {
    if (!command.userIsRegistered) {
      throw refuse.invalid('ORG.UNKNOWN_USER', `user ${command.userId} does not exist`, [
        { field: 'userId', message: `user ${command.userId} does not exist` },
      ]);
    }
    return [
      { type: 'OrgMemberAdded', data: { orgId: org.orgId, userId: command.userId, role: command.role } },
    ];
  }
  return [
    {
      type: 'MemberRoleChanged',
      data: {
        scope: 'organization',
        orgId: org.orgId,
        userId: command.userId,
        role: command.role,
        previousRole: current,
      },
    },
  ];
}

/** Removal follows the same role rules (libs/authz role-management.ts). */
function removeMember(command: RemoveOrgMember, org: ActiveOrganization): OrganizationEvent[] {
  const verdict = judgeRoleChange(ORG_ROLE_MANAGEMENT, roleChange(command, org, undefined));
  if (verdict === 'unchanged') return []; // never, in fact: removing a non-member is `notMember`
  if (verdict !== 'allowed') throw refusal(verdict, 'removed');
  const previousRole = org.members.get(command.userId)!.role;
  return [{ type: 'OrgMemberRemoved', data: { orgId: org.orgId, userId: command.userId, previousRole } }];
}

function roleChange(
  command: SetOrgMemberRole | RemoveOrgMember,
  org: ActiveOrganization,
  to: OrgRole | undefined,
): RoleChange<OrgRole> {
  return {
    actorRole: org.members.get(command.actorId)!.role,
    actorIsTarget: command.userId === command.actorId,
    from: org.members.get(command.userId)?.role,
    to,
    anotherOwnerRemains: () => ownerCount(org) > 1,
  };
}

function refusal(verdict: RoleChangeRefusal, lastOwnerWouldBe: 'demoted' | 'removed') {
  switch (verdict) {
    case 'selfRole':
      return refuse.forbidden('ORG.SELF_ROLE', 'nobody may change their own role');
    case 'notManager':
      return refuse.forbidden('ORG.FORBIDDEN', 'only owners and admins manage members');
    case 'notMember':
      return refuse.notFound('ORG.MEMBER_NOT_FOUND', 'member not found');
    case 'ownerOnly':
      return refuse.forbidden('ORG.OWNER_ONLY', 'only an owner grants or revokes owner');
    case 'lastOwner':
      return refuse.conflict('ORG.LAST_OWNER', `the last owner cannot be ${lastOwnerWouldBe}`);
    default:
      return assertNever(verdict);
  }
}

function changeSettings(command: ChangeOrgSettings, org: ActiveOrganization): OrganizationEvent[] {
  if (!isOrgManager(org.members.get(command.actorId)!.role)) {
    throw refuse.forbidden('ORG.FORBIDDEN', 'only owners and admins change settings');
  }
  const settings = {
    chatSharingDisabled: command.chatSharingDisabled ?? org.settings.chatSharingDisabled,
    workspaceSharingDisabled: command.workspaceSharingDisabled ?? org.settings.workspaceSharingDisabled,
  };
  if (
    settings.chatSharingDisabled === org.settings.chatSharingDisabled &&
    settings.workspaceSharingDisabled === org.settings.workspaceSharingDisabled
  ) {
    return [];
  }
  return [{ type: 'OrgSettingsChanged', data: { orgId: org.orgId, settings, previous: org.settings } }];
}

function assertOrgRole(role: string): asserts role is OrgRole {
  if (!(ORG_ROLES as readonly string[]).includes(role)) {
    throw refuse.invalid('INPUT.ROLE', `role must be one of ${ORG_ROLES.join(', ')}`, [
      { field: 'role', message: `must be one of ${ORG_ROLES.join(', ')}` },
    ]);
  }
}
