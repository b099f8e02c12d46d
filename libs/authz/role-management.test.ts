import { ORG_ROLES, WORKSPACE_ROLES } from './policy.js';
import {
  judgeRoleChange,
  ORG_ROLE_MANAGEMENT,
  ROLE_CHANGE_REFUSALS,
  type RoleChangeVerdict,
  type RoleManagementPolicy,
  WORKSPACE_ROLE_MANAGEMENT,
} from './role-management.js';

/**
 * The owner rules of DESIGN.md §5, one table for both scopes: every row runs
 * against the organization's policy and the workspace's, with roles both
 * scopes have (owner, admin, member). The deciders' own tests check that
 * each verdict becomes the right error code.
 */
type Role = 'owner' | 'admin' | 'member';
interface Row<R extends string = Role> {
  readonly actor: R;
  readonly self?: boolean;
  readonly from: R | undefined;
  /** undefined: a removal. */
  readonly to: R | undefined;
  readonly anotherOwner?: boolean;
  readonly expected: RoleChangeVerdict;
}

const ROWS: Record<string, Row> = {
  'an owner adds a member': { actor: 'owner', from: undefined, to: 'member', expected: 'allowed' },
  'an admin adds an admin': { actor: 'admin', from: undefined, to: 'admin', expected: 'allowed' },
  'an admin demotes an admin': { actor: 'admin', from: 'admin', to: 'member', expected: 'allowed' },
  'an admin removes a member': { actor: 'admin', from: 'member', to: undefined, expected: 'allowed' },
  'a member adds nobody': { actor: 'member', from: undefined, to: 'member', expected: 'notManager' },
  'a member removes nobody': { actor: 'member', from: 'member', to: undefined, expected: 'notManager' },
  'a member re-grants a held role: still not theirs to manage': {
    actor: 'member',
    from: 'member',
    to: 'member',
    expected: 'notManager',
  },
  'an admin grants owner': { actor: 'admin', from: 'member', to: 'owner', expected: 'ownerOnly' },
  'an admin demotes an owner': { actor: 'admin', from: 'owner', to: 'admin', expected: 'ownerOnly' },
  'an admin removes an owner': { actor: 'admin', from: 'owner', to: undefined, expected: 'ownerOnly' },
  'an admin re-grants owner to an owner': {
    actor: 'admin',
    from: 'owner',
    to: 'owner',
    expected: 'ownerOnly',
  },
  'an owner grants owner': { actor: 'owner', from: 'admin', to: 'owner', expected: 'allowed' },
  'an owner demotes another owner': {
    actor: 'owner',
    from: 'owner',
    to: 'admin',
    anotherOwner: true,
    expected: 'allowed',
  },
  'an owner removes another owner': {
    actor: 'owner',
    from: 'owner',
    to: undefined,
    anotherOwner: true,
    expected: 'allowed',
  },
  'a manager removes someone with no role': {
    actor: 'owner',
    from: undefined,
    to: undefined,
    expected: 'notMember',
  },
  'a member removes someone with no role: 403 before 404': {
    actor: 'member',
    from: undefined,
    to: undefined,
    expected: 'notManager',
  },
  'a role already held appends nothing': {
    actor: 'admin',
    from: 'member',
    to: 'member',
    expected: 'unchanged',
  },
  'an admin promotes themselves': {
    actor: 'admin',
    self: true,
    from: 'admin',
    to: 'owner',
    expected: 'selfRole',
  },
  'an admin demotes themselves': {
    actor: 'admin',
    self: true,
    from: 'admin',
    to: 'member',
    expected: 'selfRole',
  },
  'an admin removes themselves': {
    actor: 'admin',
    self: true,
    from: 'admin',
    to: undefined,
    expected: 'selfRole',
  },
  'a member promotes themselves: self before manager': {
    actor: 'member',
    self: true,
    from: 'member',
    to: 'admin',
    expected: 'selfRole',
  },
  'someone acting as admin without a role of their own joins': {
    actor: 'admin',
    self: true,
    from: undefined,
    to: 'member',
    expected: 'selfRole',
  },
  'someone acting as admin without a role of their own leaves: nothing to remove': {
    actor: 'admin',
    self: true,
    from: undefined,
    to: undefined,
    expected: 'notMember',
  },
  'a member re-grants themselves their own role': {
    actor: 'member',
    self: true,
    from: 'member',
    to: 'member',
    expected: 'unchanged',
  },
  'an owner steps down while another owner remains': {
    actor: 'owner',
    self: true,
    from: 'owner',
    to: 'admin',
    anotherOwner: true,
    expected: 'allowed',
  },
  'an owner leaves while another owner remains': {
    actor: 'owner',
    self: true,
    from: 'owner',
    to: undefined,
    anotherOwner: true,
    expected: 'allowed',
  },
  'the last owner steps down': {
    actor: 'owner',
    self: true,
    from: 'owner',
    to: 'member',
    expected: 'lastOwner',
  },
  'the last owner leaves': {
    actor: 'owner',
    self: true,
    from: 'owner',
    to: undefined,
    expected: 'lastOwner',
  },
  'the last owner re-grants themselves owner': {
    actor: 'owner',
    self: true,
    from: 'owner',
    to: 'owner',
    expected: 'unchanged',
  },
};

function judge<R extends string>(policy: RoleManagementPolicy<R>, row: Row<R>, checkTarget?: () => void) {
  return judgeRoleChange(
    policy,
    {
      actorRole: row.actor,
      actorIsTarget: row.self ?? false,
      from: row.from,
      to: row.to,
      anotherOwnerRemains: () => row.anotherOwner ?? false,
    },
    checkTarget,
  );
}

describe('role management (DESIGN.md §5 owner rules)', () => {
  const inScope: Record<string, (row: Row) => RoleChangeVerdict> = {
    organization: (row) => judge(ORG_ROLE_MANAGEMENT, row),
    workspace: (row) => judge(WORKSPACE_ROLE_MANAGEMENT, row),
  };
  describe.each(Object.entries(inScope))('%s', (_, judged) => {
    it.each(Object.entries(ROWS))('%s', (_, row) => {
      expect(judged(row)).toBe(row.expected);
    });
  });

  it('has a row for every verdict', () => {
    const covered = new Set(Object.values(ROWS).map((row) => row.expected));
    expect([...covered].sort()).toEqual(['allowed', 'unchanged', ...ROLE_CHANGE_REFUSALS].sort());
  });

  it('names only roles of each scope', () => {
    expect(ORG_ROLES).toEqual(
      expect.arrayContaining([...ORG_ROLE_MANAGEMENT.managers, ORG_ROLE_MANAGEMENT.owner]),
    );
    expect(WORKSPACE_ROLES).toEqual(
      expect.arrayContaining([...WORKSPACE_ROLE_MANAGEMENT.managers, WORKSPACE_ROLE_MANAGEMENT.owner]),
    );
  });

  it('lets only owners and admins manage, in both scopes', () => {
    expect(ORG_ROLE_MANAGEMENT.managers).toEqual(['owner', 'admin']);
    expect(WORKSPACE_ROLE_MANAGEMENT.managers).toEqual(['owner', 'admin']);
  });

  describe("the scope's own checks on the target", () => {
    const targetRefused = new Error('target refused');
    const refuseTarget = () => {
      throw targetRefused;
    };

    it.each(Object.entries(ROWS))('%s', (_, row) => {
      // They run after the refusals of the actor (403/404), and before no-op and last owner.
      const runsAfter = ['selfRole', 'notManager', 'notMember', 'ownerOnly'].includes(row.expected);
      const selfNoOp = row.self && row.from === row.to && row.to !== undefined;
      const judged = () => judge(ORG_ROLE_MANAGEMENT, row, refuseTarget);
      if (runsAfter || selfNoOp) expect(judged()).toBe(row.expected);
      else expect(judged).toThrow(targetRefused);
    });
  });
});
