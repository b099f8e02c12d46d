import { ACCESS_POLICY, type WorkspaceRole } from '../../authz/policy.js';
import { refuse } from '../kernel/index.js';
import { type ActiveOrganization, isOrgManager } from '../organization/organization.state.js';
import { type ActiveWorkspace } from './workspace.state.js';

/**
 * Who counts as what on a workspace, for the workspace's own rules and for
 * the Chat decider (a chat bound to a workspace needs a creator who may write
 * to it, DESIGN.md §5 Chat). Chat *permissions* are libs/authz's job; these
 * helpers answer "may this user see / manage / write in this workspace".
 */

/** Workspace roles by rank, so "promotion" and "the higher of two roles" have one meaning. */
const RANK: Readonly<Record<WorkspaceRole, number>> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function outranks(role: WorkspaceRole, other: WorkspaceRole): boolean {
  return RANK[role] > RANK[other];
}

/**
 * The user's recorded workspace role if it counts right now, else null.
 *
 * A membership counts only while its holder is still a member of the org
 * (leaving the org emits nothing on workspace streams, so the entry stays but
 * is inert), and, while `workspaceSharingDisabled` is on, only if it is one of
 * the roles the access policy keeps (owners): DESIGN.md §5 says the other
 * memberships "grant nothing", and we read that as nothing at all — not chat
 * access, not visibility, not management. The same policy list drives
 * libs/authz, so chat access and workspace management cannot disagree.
 */
export function countedWorkspaceRole(
  workspace: ActiveWorkspace,
  org: ActiveOrganization,
  userId: string,
): WorkspaceRole | null {
  const membership = workspace.members.get(userId);
  if (!membership || !org.members.get(userId) || workspace.orgId !== org.orgId) return null;
  if (
    org.settings.workspaceSharingDisabled &&
    !ACCESS_POLICY.workspaceRolesWhileSharingDisabled.includes(membership.role)
  ) {
    return null;
  }
  return membership.role;
}

/**
 * The role the user acts with on the workspace: their counted workspace role,
 * raised to `admin` when they are an org owner or admin (DESIGN.md §5: those
 * "act as workspace admins on every workspace of their org"; they are not
 * owners unless they hold `owner` on the workspace itself). Null when the user
 * has no standing at all, which is exactly when the workspace is invisible.
 */
export function effectiveWorkspaceRole(
  workspace: ActiveWorkspace,
  org: ActiveOrganization,
  userId: string,
): WorkspaceRole | null {
  if (workspace.orgId !== org.orgId) return null;
  const own = countedWorkspaceRole(workspace, org, userId);
  const viaOrg: WorkspaceRole | null = isOrgManager(org.members.get(userId)?.role) ? 'admin' : null;
  if (own === null) return viaOrg;
  return viaOrg !== null && outranks(viaOrg, own) ? viaOrg : own;
}

/** Visible to its (counted) members and to org owners and admins; to anyone else it does not exist (404). */
export function canSeeWorkspace(
  workspace: ActiveWorkspace,
  org: ActiveOrganization,
  userId: string,
): boolean {
  return effectiveWorkspaceRole(workspace, org, userId) !== null;
}

export function isArchived(workspace: ActiveWorkspace): boolean {
  return workspace.archived;
}

/**
 * DESIGN.md §5: an archived workspace stays readable, but every write scoped
 * to it answers 410 Gone whatever the caller's role. Call it once the caller
 * is known to see the workspace (404 first), and before any 403: 410 takes
 * precedence for callers who can read.
 */
export function assertWritable(workspace: ActiveWorkspace): void {
  if (workspace.archived) throw refuse.gone('WORKSPACE.ARCHIVED', 'the workspace is archived');
}
