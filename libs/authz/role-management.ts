import { type OrgRole, type WorkspaceRole } from './policy.js';

/**
 * Who may change whose role (DESIGN.md §5 Organization, and Workspace: "same
 * owner rules as the org"), as data, and the one function that applies it to
 * both scopes. The organization and workspace deciders map its verdicts to
 * their own error codes; neither writes the rules out again.
 *
 * Not part of ACCESS_POLICY: no projection materializes these rules (a
 * refused command appends nothing), so changing them makes no read model
 * stale and needs no policy version.
 */
export interface RoleManagementPolicy<Role extends string> {
  /** Roles whose holders add, change and remove members. */
  readonly managers: readonly Role[];
  /**
   * The role only its holders grant or revoke, whose last holder stays, and
   * the one role whose holder may change their own membership (stepping down).
   */
  readonly owner: Role;
}

export const ORG_ROLE_MANAGEMENT: RoleManagementPolicy<OrgRole> = {
  managers: ['owner', 'admin'],
  owner: 'owner',
};

/**
 * The org's rules, on the workspace's roles. What differs between the two
 * scopes is not the rules but the facts the caller passes in
 * ({@link RoleChange}): on a workspace the actor acts with their *effective*
 * role (org owners and admins act as admins, workspace.access.ts), "another
 * owner remains" counts only owners whose membership still counts, and the
 * workspace checks the target itself (`checkTarget` of {@link judgeRoleChange}).
 */
export const WORKSPACE_ROLE_MANAGEMENT: RoleManagementPolicy<WorkspaceRole> = {
  managers: ['owner', 'admin'],
  owner: 'owner',
};

export function isRoleManager<Role extends string>(
  policy: RoleManagementPolicy<Role>,
  role: Role | null | undefined,
): boolean {
  return role !== null && role !== undefined && policy.managers.includes(role);
}

/** A change of one member's role, or their removal, as the rules need to see it. */
export interface RoleChange<Role extends string> {
  /** The role the actor acts with in this scope. */
  readonly actorRole: Role;
  readonly actorIsTarget: boolean;
  /** The target's recorded role; undefined when they hold none here. */
  readonly from: Role | undefined;
  /** The role asked for; undefined for a removal. */
  readonly to: Role | undefined;
  /** Whether an owner other than the target remains. Asked only when an owner would lose the role. */
  readonly anotherOwnerRemains: () => boolean;
}

/**
 * - selfRole: nobody changes their own role, but an owner stepping down (403)
 * - notManager: the actor manages no members (403)
 * - notMember: removal of someone who holds no role here (404)
 * - ownerOnly: granting or revoking the owner role takes an owner (403)
 * - lastOwner: the last owner can be neither demoted nor removed (409)
 */
export const ROLE_CHANGE_REFUSALS = [
  'selfRole',
  'notManager',
  'notMember',
  'ownerOnly',
  'lastOwner',
] as const;
export type RoleChangeRefusal = (typeof ROLE_CHANGE_REFUSALS)[number];
/** `unchanged`: the role is already held, so nothing is appended. */
export type RoleChangeVerdict = 'allowed' | 'unchanged' | RoleChangeRefusal;

/**
 * The verdict on a role change. Checks run in one order, which decides the
 * answer when several apply: the actor's own role (self, manager), the
 * target's existence for a removal, owner-only, then `checkTarget` (the
 * scope's own rules about the target, which may throw: the workspace's
 * sharing switch and org membership), then no-op, then last owner. A change
 * of one's own role to the role one holds is a no-op before anything else.
 */
export function judgeRoleChange<Role extends string>(
  policy: RoleManagementPolicy<Role>,
  change: RoleChange<Role>,
  checkTarget: () => void = () => undefined,
): RoleChangeVerdict {
  const { actorRole, actorIsTarget, from, to } = change;
  if (actorIsTarget && from === to && to !== undefined) return 'unchanged';
  // Judged on the recorded role: acting as admin through the org gives no standing to change one's own.
  if (actorIsTarget && from !== to && from !== policy.owner) return 'selfRole';
  if (!isRoleManager(policy, actorRole)) return 'notManager';
  if (to === undefined && from === undefined) return 'notMember';
  if ((to === policy.owner || from === policy.owner) && actorRole !== policy.owner) return 'ownerOnly';
  checkTarget();
  if (from === to) return 'unchanged';
  if (from === policy.owner && !change.anotherOwnerRemains()) return 'lastOwner';
  return 'allowed';
}
