import { isWorkspaceRole, WORKSPACE_ROLES, type WorkspaceRole } from '../../authz/policy.js';
import {
  judgeRoleChange,
  type RoleChange,
  type RoleChangeRefusal,
  WORKSPACE_ROLE_MANAGEMENT,
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
import { type ActiveOrganization } from '../organization/organization.state.js';
import {
  assertWritable,
  countedWorkspaceRole,
  effectiveWorkspaceRole,
  outranks,
} from './workspace.access.js';
import {
  type ArchiveWorkspace,
  type CreateWorkspace,
  type RemoveWorkspaceMember,
  type SetWorkspaceMemberRole,
  type UnarchiveWorkspace,
  type WorkspaceCommand,
} from './workspace.commands.js';
import { type WorkspaceEvent } from './workspace.events.js';
import { type ActiveWorkspace, type WorkspaceState } from './workspace.state.js';

export const WORKSPACE_NAME_MAX = 200;

/**
 * The workspace of DESIGN.md §5: its members, their roles, and whether it is
 * archived. Slug uniqueness within the org is not decided here: it lives in a
 * reservation stream the handler appends to (DESIGN.md §6).
 *
 * Checks run in one order: 404 (cannot see it) → 400 (bad role) → 410
 * (archived) → 403 → 400 (target outside the org) → no-op → 409, as in the
 * organization. So an archived workspace answers 410 even to a change that
 * would append nothing, and 410 comes before any 403 (DESIGN.md §5).
 */
export const workspaceDecider: Decider<WorkspaceCommand, WorkspaceEvent, WorkspaceState> = {
  initialState: { status: 'absent' },

  decide(command, state) {
    if (command.type === 'CreateWorkspace') return create(command, state);
    const { workspace, actorRole } = visibleTo(command.actorId, command.org, state);
    switch (command.type) {
      case 'SetWorkspaceMemberRole':
        return setMemberRole(command, workspace, actorRole);
      case 'RemoveWorkspaceMember':
        return removeMember(command, workspace, actorRole);
      case 'ArchiveWorkspace':
      case 'UnarchiveWorkspace':
        return setArchived(command, workspace, actorRole);
      default:
        return assertNever(command);
    }
  },

  evolve(state, event: Recorded<WorkspaceEvent>) {
    if (event.type === 'WorkspaceCreated') {
      const { orgId, workspaceId, slug, name } = event.data;
      return {
        status: 'active',
        orgId,
        workspaceId,
        slug,
        name,
        members: PersistentMap(),
        owners: PersistentSet(),
        archived: false,
        archivedBy: null,
      };
    }
    if (state.status !== 'active') return state;
    switch (event.type) {
      case 'WorkspaceMemberAdded':
      case 'MemberRoleChanged': {
        const { userId, role } = event.data;
        return {
          ...state,
          members: state.members.set(userId, { role, since: event.ref }),
          owners: role === 'owner' ? state.owners.add(userId) : state.owners.remove(userId),
        };
      }
      case 'WorkspaceMemberRemoved':
        return {
          ...state,
          members: state.members.remove(event.data.userId),
          owners: state.owners.remove(event.data.userId),
        };
      case 'WorkspaceArchived':
        return { ...state, archived: true, archivedBy: event.ref };
      case 'WorkspaceUnarchived':
        return { ...state, archived: false, archivedBy: null };
      default:
        return assertNever(event);
    }
  },
};

/**
 * 404 for whoever cannot see the workspace (DESIGN.md §5 HTTP rules). A
 * non-member of the org gets the org's own 404, as on every route of an org
 * they cannot see; an org member gets the workspace's, whether it is missing,
 * belongs to another org, or is merely not visible to them.
 */
function visibleTo(actorId: string, org: ActiveOrganization, state: WorkspaceState) {
  if (!org.members.get(actorId)) throw refuse.notFound('ORG.NOT_FOUND', 'organization not found');
  const actorRole = state.status === 'active' ? effectiveWorkspaceRole(state, org, actorId) : null;
  if (state.status !== 'active' || actorRole === null) {
    throw refuse.notFound('WORKSPACE.NOT_FOUND', 'workspace not found');
  }
  return { workspace: state, actorRole };
}

/**
 * Any org member but an auditor creates workspaces. Creation is allowed while
 * `workspaceSharingDisabled` is on: it adds nobody but the creator, as owner,
 * and owner memberships keep counting then.
 */
function create(command: CreateWorkspace, state: WorkspaceState): WorkspaceEvent[] {
  const { org, actorId, workspaceId, slug, name } = command;
  const orgRole = org.members.get(actorId)?.role;
  if (orgRole === undefined) throw refuse.notFound('ORG.NOT_FOUND', 'organization not found');
  if (orgRole === 'auditor')
    throw refuse.forbidden('WORKSPACE.FORBIDDEN', 'auditors do not create workspaces');
  if (state.status !== 'absent')
    throw refuse.conflict('WORKSPACE.ALREADY_EXISTS', 'workspace already exists');
  assertSlug('slug', slug);
  assertText('name', name, WORKSPACE_NAME_MAX);
  const orgId = org.orgId;
  return [
    { type: 'WorkspaceCreated', data: { orgId, workspaceId, slug, name, createdBy: actorId } },
    // The creator's ownership is an event of its own, so audits can name it as the grant.
    { type: 'WorkspaceMemberAdded', data: { orgId, workspaceId, userId: actorId, role: 'owner' } },
  ];
}

/**
 * The org's owner rules, on the workspace (DESIGN.md §5), applied by libs/authz
 * role-management.ts: owners and admins (org owners and admins acting as
 * admins) manage roles; only a workspace owner grants or revokes `owner`;
 * nobody changes their own role except an owner stepping down while another
 * owner remains; the last owner stays.
 *
 * While `workspaceSharingDisabled` is on, DESIGN.md refuses adding members.
 * We refuse promotions too, since they would grant what the setting withholds
 * (an inert viewer made owner counts at once; a viewer made member could
 * write when sharing returns). Demotions and removals stay possible: the
 * setting stops granting, never revoking.
 */
function setMemberRole(
  command: SetWorkspaceMemberRole,
  workspace: ActiveWorkspace,
  actorRole: WorkspaceRole,
): WorkspaceEvent[] {
  assertWorkspaceRole(command.role);
  assertWritable(workspace);
  const { org, userId, role } = command;
  const current = workspace.members.get(userId)?.role;
  const verdict = judgeRoleChange(
    WORKSPACE_ROLE_MANAGEMENT,
    roleChange(command, workspace, actorRole, role),
    () => {
      if (org.settings.workspaceSharingDisabled && (current === undefined || outranks(role, current))) {
        throw refuse.forbidden(
          'WORKSPACE.SHARING_DISABLED',
          'workspace sharing is disabled in this organization',
        );
      }
      // Checked on changes too, not only additions: a member who left the org keeps an inert entry here.
      if (!org.members.get(userId)) {
        throw refuse.invalid(
          'WORKSPACE.NOT_ORG_MEMBER',
          `user ${userId} is not a member of the organization`,
          [{ field: 'userId', message: `user ${userId} is not a member of the organization` }],
        );
      }
    },
  );
  if (verdict === 'unchanged') return [];
  if (verdict !== 'allowed') throw refusal(verdict);
  const ids = { orgId: workspace.orgId, workspaceId: workspace.workspaceId, userId };
  if (current === undefined) return [{ type: 'WorkspaceMemberAdded', data: { ...ids, role } }];
  return [{ type: 'MemberRoleChanged', data: { scope: 'workspace', ...ids, role, previousRole: current } }];
}

/**
 * Removal follows the same role rules. It stays possible while sharing is
 * disabled (see above), and for a member who has left the org.
 */
function removeMember(
  command: RemoveWorkspaceMember,
  workspace: ActiveWorkspace,
  actorRole: WorkspaceRole,
): WorkspaceEvent[] {
  assertWritable(workspace);
  const verdict = judgeRoleChange(
    WORKSPACE_ROLE_MANAGEMENT,
    roleChange(command, workspace, actorRole, undefined),
  );
  if (verdict === 'unchanged') return []; // never, in fact: removing a non-member is `notMember`
  if (verdict !== 'allowed') throw refusal(verdict);
  const { userId } = command;
  const previousRole = workspace.members.get(userId)!.role;
  return [
    {
      type: 'WorkspaceMemberRemoved',
      data: { orgId: workspace.orgId, workspaceId: workspace.workspaceId, userId, previousRole },
    },
  ];
}

/**
 * The actor acts with their effective role (an org owner or admin as admin);
 * "another owner remains" counts owners whose membership still counts: an
 * owner who left the org cannot act, so the last owner who can is protected.
 * Only recorded owners can count as owners, so only they are looked at.
 */
function roleChange(
  command: SetWorkspaceMemberRole | RemoveWorkspaceMember,
  workspace: ActiveWorkspace,
  actorRole: WorkspaceRole,
  to: WorkspaceRole | undefined,
): RoleChange<WorkspaceRole> {
  const { org, userId } = command;
  return {
    actorRole,
    actorIsTarget: userId === command.actorId,
    from: workspace.members.get(userId)?.role,
    to,
    anotherOwnerRemains: () =>
      workspace.owners.some((id) => id !== userId && countedWorkspaceRole(workspace, org, id) === 'owner'),
  };
}

function refusal(verdict: RoleChangeRefusal) {
  switch (verdict) {
    case 'selfRole':
      return refuse.forbidden('WORKSPACE.SELF_ROLE', 'nobody may change their own role');
    case 'notManager':
      return refuse.forbidden('WORKSPACE.FORBIDDEN', 'only owners and admins manage members');
    case 'notMember':
      return refuse.notFound('WORKSPACE.MEMBER_NOT_FOUND', 'member not found');
    case 'ownerOnly':
      return refuse.forbidden('WORKSPACE.OWNER_ONLY', 'only a workspace owner grants or revokes owner');
    case 'lastOwner':
      return refuse.conflict('WORKSPACE.LAST_OWNER', 'the last owner can be neither removed nor demoted');
    default:
      return assertNever(verdict);
  }
}

/**
 * Workspace owners and org owners archive and unarchive (DESIGN.md §5); org
 * admins do not, though they act as workspace admins elsewhere. Permission is
 * checked before the no-op, as for roles: who may not archive learns nothing
 * from the answer.
 */
function setArchived(
  command: ArchiveWorkspace | UnarchiveWorkspace,
  workspace: ActiveWorkspace,
  actorRole: WorkspaceRole,
): WorkspaceEvent[] {
  if (actorRole !== 'owner' && command.org.members.get(command.actorId)?.role !== 'owner') {
    throw refuse.forbidden('WORKSPACE.FORBIDDEN', 'only workspace owners and org owners archive workspaces');
  }
  const archive = command.type === 'ArchiveWorkspace';
  if (workspace.archived === archive) return [];
  const data = { orgId: workspace.orgId, workspaceId: workspace.workspaceId };
  return [archive ? { type: 'WorkspaceArchived', data } : { type: 'WorkspaceUnarchived', data }];
}

function assertWorkspaceRole(role: string): asserts role is WorkspaceRole {
  if (!isWorkspaceRole(role)) {
    throw refuse.invalid('INPUT.ROLE', `role must be one of ${WORKSPACE_ROLES.join(', ')}`, [
      { field: 'role', message: `must be one of ${WORKSPACE_ROLES.join(', ')}` },
    ]);
  }
}
