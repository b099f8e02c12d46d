import {
  ACCESS_POLICY,
  ACCESS_POLICY_VERSION,
  ACL_ROLES,
  type AccessPolicy,
  highestAclRole,
  isAclRole,
  isOrgRole,
  isPermission,
  isWorkspaceRole,
  ORG_ROLES,
  PERMISSIONS,
  type AclRole,
  type Permission,
  unionPermissions,
  WORKSPACE_ROLES,
  withoutPermissions,
} from './policy.js';

/**
 * Every version of the policy ever released, as it was. A change to the
 * policy adds a new entry here and bumps ACCESS_POLICY_VERSION; editing an
 * existing entry instead would let projections built under the old rules
 * pass as current (DESIGN.md §8).
 */
const RELEASED_POLICIES: Record<number, AccessPolicy> = {
  1: {
    version: 1,
    rootOwner: ['read', 'write', 'share', 'delete'],
    orgRoles: {
      owner: ['read', 'write', 'share', 'delete'],
      admin: ['read', 'write', 'share', 'delete'],
      member: [],
      auditor: [],
    },
    aclRoles: { viewer: ['read'], editor: ['read', 'write'] },
    workspaceRoles: {
      owner: ['read', 'write'],
      admin: ['read', 'write'],
      member: ['read', 'write'],
      viewer: ['read'],
    },
    workspaceRolesWhileSharingDisabled: ['owner'],
    blockedWhileArchived: ['write', 'share', 'delete'],
  },
};

describe('access policy', () => {
  it('is the released policy of its version: a change to the table must bump ACCESS_POLICY_VERSION', () => {
    expect(ACCESS_POLICY.version).toBe(ACCESS_POLICY_VERSION);
    expect(ACCESS_POLICY).toEqual(RELEASED_POLICIES[ACCESS_POLICY_VERSION]);
  });

  it.each([
    ['orgRoles', ACCESS_POLICY.orgRoles, ORG_ROLES],
    ['aclRoles', ACCESS_POLICY.aclRoles, ACL_ROLES],
    ['workspaceRoles', ACCESS_POLICY.workspaceRoles, WORKSPACE_ROLES],
  ] as const)('%s maps exactly the declared roles', (_, table, roles) => {
    expect(Object.keys(table).sort()).toEqual([...roles].sort());
  });

  it('lists every grant in policy order without duplicates, so decisions compare as plain arrays', () => {
    const grants = [
      ACCESS_POLICY.rootOwner,
      ...Object.values(ACCESS_POLICY.orgRoles),
      ...Object.values(ACCESS_POLICY.aclRoles),
      ...Object.values(ACCESS_POLICY.workspaceRoles),
    ];
    for (const grant of grants) expect(grant).toEqual(unionPermissions(grant));
  });

  it('has cumulative ACL roles, so the union of applicable entries is the highest one (§5 rule 4)', () => {
    ACL_ROLES.forEach((role, rank) => {
      const below = ACL_ROLES.slice(0, rank);
      for (const lower of below) {
        expect(ACCESS_POLICY.aclRoles[role]).toEqual(
          expect.arrayContaining([...ACCESS_POLICY.aclRoles[lower]]),
        );
      }
    });
  });

  it('grants every permission to someone', () => {
    expect(ACCESS_POLICY.rootOwner).toEqual(PERMISSIONS);
  });
});

describe('highestAclRole', () => {
  it.each<[AclRole[], AclRole | null]>([
    [[], null],
    [['viewer'], 'viewer'],
    [['editor'], 'editor'],
    [['viewer', 'editor'], 'editor'],
    [['editor', 'viewer'], 'editor'],
    [['viewer', 'viewer'], 'viewer'],
  ])('of %j is %j', (roles, highest) => {
    expect(highestAclRole(roles)).toBe(highest);
  });
});

describe('permission lists', () => {
  it.each<[Permission[][], Permission[]]>([
    [[], []],
    [[['delete', 'read']], ['read', 'delete']],
    [
      [['write', 'read'], ['read'], ['share']],
      ['read', 'write', 'share'],
    ],
  ])('union of %j is %j', (lists, union) => {
    expect(unionPermissions(...lists)).toEqual(union);
  });

  it.each<[Permission[], Permission[], Permission[]]>([
    [['read', 'write', 'share', 'delete'], ['write'], ['read', 'share', 'delete']],
    [['read'], ['write'], ['read']],
    [['write'], ['write'], []],
  ])('%j without %j is %j', (permissions, removed, rest) => {
    expect(withoutPermissions(permissions, removed)).toEqual(rest);
  });
});

describe('guards', () => {
  it.each([
    [isPermission, PERMISSIONS],
    [isOrgRole, ORG_ROLES],
    [isWorkspaceRole, WORKSPACE_ROLES],
    [isAclRole, ACL_ROLES],
  ] as const)('accept exactly the declared values (%#)', (guard, values) => {
    for (const value of values) expect(guard(value)).toBe(true);
    for (const value of ['', 'Owner', 'superuser', 1, null, undefined, ['read']])
      expect(guard(value)).toBe(false);
  });
});
