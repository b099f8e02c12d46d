/**
 * The access policy of DESIGN.md §5 "Effective access", as data.
 *
 * Everything that says which role grants which permission lives here, so the
 * evaluator, the projectors that materialize access and any SQL filter for
 * lists read one table. Changing a grant changes what every projection built
 * before the change would hold, so it must bump {@link ACCESS_POLICY_VERSION}:
 * projections built under an older version then report themselves `stale`
 * (DESIGN.md §8). policy.test.ts pins the table to the version to enforce it.
 */
export const ACCESS_POLICY_VERSION = 1;

/** Chat permissions, in policy order: results are always sorted this way. */
export const PERMISSIONS = ['read', 'write', 'share', 'delete'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ORG_ROLES = ['owner', 'admin', 'member', 'auditor'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const WORKSPACE_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/** Chat ACL roles from lowest to highest: {@link highestAclRole} relies on this order. */
export const ACL_ROLES = ['viewer', 'editor'] as const;
export type AclRole = (typeof ACL_ROLES)[number];

const ALL: readonly Permission[] = PERMISSIONS;
const NONE: readonly Permission[] = [];

export interface AccessPolicy {
  readonly version: number;
  readonly rootOwner: readonly Permission[];
  readonly orgRoles: Readonly<Record<OrgRole, readonly Permission[]>>;
  readonly aclRoles: Readonly<Record<AclRole, readonly Permission[]>>;
  readonly workspaceRoles: Readonly<Record<WorkspaceRole, readonly Permission[]>>;
  readonly workspaceRolesWhileSharingDisabled: readonly WorkspaceRole[];
  readonly blockedWhileArchived: readonly Permission[];
}

export const ACCESS_POLICY: AccessPolicy = {
  version: ACCESS_POLICY_VERSION,
  /** §5 rule 2: owning the root chat grants everything. */
  rootOwner: ALL,
  /**
   * §5 rules 3 and 6: org owners and admins get everything; members get
   * nothing from their role (only from ownership, ACL or workspace), and
   * auditors get nothing here either: they use the audit endpoints.
   */
  orgRoles: {
    owner: ALL,
    admin: ALL,
    member: NONE,
    auditor: NONE,
  },
  /** §5 rule 4. Each role includes the one below it, so "the highest wins" equals their union. */
  aclRoles: {
    viewer: ['read'],
    editor: ['read', 'write'],
  },
  /** §5 rule 5. */
  workspaceRoles: {
    owner: ['read', 'write'],
    admin: ['read', 'write'],
    member: ['read', 'write'],
    viewer: ['read'],
  },
  /** §5 rule 5 and §5 Workspace: while `workspaceSharingDisabled` is on, only these memberships count. */
  workspaceRolesWhileSharingDisabled: ['owner'],
  /**
   * §5 Workspace: an archived workspace "stays readable, but every write
   * scoped to it ... answers 410 Gone, whatever the caller's role". Sharing
   * and deleting its chats are writes scoped to it as much as posting and
   * renaming are, so an archived workspace's chats are read-only for everyone
   * until it is unarchived; the stored ACL and memberships count again then.
   */
  blockedWhileArchived: ['write', 'share', 'delete'],
};

/** The highest of some ACL roles (§5 rule 4), or null when there are none. */
export function highestAclRole(roles: Iterable<AclRole>): AclRole | null {
  let highest: AclRole | null = null;
  for (const role of roles) {
    if (highest === null || ACL_ROLES.indexOf(role) > ACL_ROLES.indexOf(highest)) highest = role;
  }
  return highest;
}

/**
 * Permission lists as bit sets, one bit per permission in policy order: the
 * evaluator unions and subtracts them for every pair a projection or an
 * audit replay asks about (millions in a build), so without a Set each time.
 */
const PERMISSION_BITS = new Map(PERMISSIONS.map((permission, i) => [permission, 1 << i]));

function bitsOf(list: readonly Permission[]): number {
  let bits = 0;
  for (const permission of list) bits |= PERMISSION_BITS.get(permission) ?? 0;
  return bits;
}

function permissionsOf(bits: number): Permission[] {
  return PERMISSIONS.filter((_, i) => (bits & (1 << i)) !== 0);
}

/** The union of permission lists, without duplicates and in policy order. */
export function unionPermissions(...lists: ReadonlyArray<readonly Permission[]>): Permission[] {
  let bits = 0;
  for (const list of lists) bits |= bitsOf(list);
  return permissionsOf(bits);
}

/** `permissions` without `removed`, in policy order. */
export function withoutPermissions(
  permissions: readonly Permission[],
  removed: readonly Permission[],
): Permission[] {
  return permissionsOf(bitsOf(permissions) & ~bitsOf(removed));
}

const isOneOf =
  <T extends string>(values: readonly T[]) =>
  (value: unknown): value is T =>
    typeof value === 'string' && (values as readonly string[]).includes(value);

/** Type guards for validating roles and permissions that arrive as untyped input (bad role: 400). */
export const isPermission = isOneOf(PERMISSIONS);
export const isOrgRole = isOneOf(ORG_ROLES);
export const isWorkspaceRole = isOneOf(WORKSPACE_ROLES);
export const isAclRole = isOneOf(ACL_ROLES);
