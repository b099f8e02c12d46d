import { deciderSpec } from '../../../test/support/decider-spec.js';
import { type OrgRole } from '../../authz/policy.js';
import { type OrganizationEvent } from './organization.events.js';
import { organizationDecider } from './organization.decider.js';

const spec = deciderSpec(organizationDecider);
const orgId = '0b7d2c6e-1d1f-4d4e-9a49-0d8f3c2a1b10';
const alice = 'a11ce000-0000-4000-8000-000000000001';
const bob = 'b0b00000-0000-4000-8000-000000000002';
const carol = 'ca201000-0000-4000-8000-000000000003';
const stranger = '5ca10000-0000-4000-8000-000000000004';

const created: OrganizationEvent[] = [
  { type: 'OrganizationCreated', data: { orgId, slug: 'acme', name: 'Acme', createdBy: alice } },
  { type: 'OrgMemberAdded', data: { orgId, userId: alice, role: 'owner' } },
];
const member = (userId: string, role: OrgRole): OrganizationEvent => ({
  type: 'OrgMemberAdded',
  data: { orgId, userId, role },
});
const setRole = (actorId: string, userId: string, role: OrgRole, userIsRegistered = true) =>
  ({ type: 'SetOrgMemberRole', actorId, userId, role, userIsRegistered }) as const;
const remove = (actorId: string, userId: string) => ({ type: 'RemoveOrgMember', actorId, userId }) as const;

describe('Organization', () => {
  describe('when absent', () => {
    it('is created with its creator as owner', () => {
      spec
        .given()
        .when({ type: 'CreateOrganization', actorId: alice, orgId, slug: 'acme', name: 'Acme' })
        .then(created);
    });

    it.each(['a', 'Acme', '-acme', 'acme-', 'ac_me', 'x'.repeat(65)])('refuses the slug %j', (slug) => {
      spec
        .given()
        .when({ type: 'CreateOrganization', actorId: alice, orgId, slug, name: 'Acme' })
        .thenRefuses('INPUT.SLUG', 'invalid', ['slug']);
    });

    it('refuses an empty name', () => {
      spec
        .given()
        .when({ type: 'CreateOrganization', actorId: alice, orgId, slug: 'acme', name: '  ' })
        .thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['name']);
    });

    it('answers every other command as not found', () => {
      spec
        .given()
        .when(setRole(alice, bob, 'member'))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
    });
  });

  describe('when created', () => {
    it('cannot be created twice', () => {
      spec
        .given(...created)
        .when({ type: 'CreateOrganization', actorId: alice, orgId, slug: 'acme', name: 'Acme' })
        .thenRefuses('ORG.ALREADY_EXISTS', 'conflict');
    });

    it('is invisible to non-members: 404, not 403', () => {
      spec
        .given(...created)
        .when(setRole(stranger, bob, 'member'))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
      spec
        .given(...created)
        .when(remove(stranger, alice))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it('adds a registered user, and refuses an unknown one naming the user', () => {
      spec
        .given(...created)
        .when(setRole(alice, bob, 'admin'))
        .then([member(bob, 'admin')]);
      spec
        .given(...created)
        .when(setRole(alice, bob, 'admin', false))
        .thenRefuses('ORG.UNKNOWN_USER', 'invalid', ['userId']);
    });

    it('refuses a role that does not exist', () => {
      spec
        .given(...created)
        .when(setRole(alice, bob, 'superuser' as OrgRole))
        .thenRefuses('INPUT.ROLE', 'invalid', ['role']);
    });

    it('lets owners and admins manage members, and refuses members and auditors', () => {
      spec
        .given(...created, member(bob, 'admin'))
        .when(setRole(bob, carol, 'auditor'))
        .then([member(carol, 'auditor')]);
      for (const role of ['member', 'auditor'] as const) {
        spec
          .given(...created, member(bob, role))
          .when(setRole(bob, carol, 'member'))
          .thenRefuses('ORG.FORBIDDEN', 'forbidden');
      }
    });

    it('changes a role, recording the previous one', () => {
      spec
        .given(...created, member(bob, 'member'))
        .when(setRole(alice, bob, 'admin'))
        .then([
          {
            type: 'MemberRoleChanged',
            data: { scope: 'organization', orgId, userId: bob, role: 'admin', previousRole: 'member' },
          },
        ]);
    });

    it('appends nothing when the role is already held', () => {
      spec
        .given(...created, member(bob, 'member'))
        .when(setRole(alice, bob, 'member'))
        .thenNothing();
    });
  });

  describe('owner rules', () => {
    it('only an owner grants owner', () => {
      spec
        .given(...created, member(bob, 'admin'), member(carol, 'member'))
        .when(setRole(bob, carol, 'owner'))
        .thenRefuses('ORG.OWNER_ONLY', 'forbidden');
      spec
        .given(...created, member(carol, 'member'))
        .when(setRole(alice, carol, 'owner'))
        .then([
          {
            type: 'MemberRoleChanged',
            data: { scope: 'organization', orgId, userId: carol, role: 'owner', previousRole: 'member' },
          },
        ]);
    });

    it('only an owner revokes owner, by demotion or removal', () => {
      const given = spec.given(...created, member(bob, 'admin'), member(carol, 'owner'));
      given.when(setRole(bob, carol, 'member')).thenRefuses('ORG.OWNER_ONLY', 'forbidden');
      given.when(remove(bob, carol)).thenRefuses('ORG.OWNER_ONLY', 'forbidden');
      given
        .when(remove(alice, carol))
        .then([{ type: 'OrgMemberRemoved', data: { orgId, userId: carol, previousRole: 'owner' } }]);
    });

    it('nobody gives themselves a role', () => {
      spec
        .given(...created, member(bob, 'admin'))
        .when(setRole(bob, bob, 'owner'))
        .thenRefuses('ORG.SELF_ROLE', 'forbidden');
      spec
        .given(...created, member(bob, 'member'))
        .when(setRole(bob, bob, 'admin'))
        .thenRefuses('ORG.SELF_ROLE', 'forbidden');
      spec
        .given(...created, member(bob, 'admin'))
        .when(setRole(bob, bob, 'member'))
        .thenRefuses('ORG.SELF_ROLE', 'forbidden');
      spec
        .given(...created, member(bob, 'admin'))
        .when(remove(bob, bob))
        .thenRefuses('ORG.SELF_ROLE', 'forbidden');
    });

    it('an owner may step down while another owner remains', () => {
      spec
        .given(...created, member(bob, 'owner'))
        .when(setRole(alice, alice, 'admin'))
        .then([
          {
            type: 'MemberRoleChanged',
            data: { scope: 'organization', orgId, userId: alice, role: 'admin', previousRole: 'owner' },
          },
        ]);
      spec
        .given(...created, member(bob, 'owner'))
        .when(remove(alice, alice))
        .then([{ type: 'OrgMemberRemoved', data: { orgId, userId: alice, previousRole: 'owner' } }]);
    });

    it('the last owner can be neither demoted nor removed', () => {
      spec
        .given(...created)
        .when(setRole(alice, alice, 'admin'))
        .thenRefuses('ORG.LAST_OWNER', 'conflict');
      spec
        .given(...created)
        .when(remove(alice, alice))
        .thenRefuses('ORG.LAST_OWNER', 'conflict');
    });

    it('counts owners after demotions and removals', () => {
      spec
        .given(...created, member(bob, 'owner'), {
          type: 'OrgMemberRemoved',
          data: { orgId, userId: bob, previousRole: 'owner' },
        })
        .when(setRole(alice, alice, 'member'))
        .thenRefuses('ORG.LAST_OWNER', 'conflict');
    });
  });

  describe('removal', () => {
    it('removes a member, and answers 404 for a non-member', () => {
      spec
        .given(...created, member(bob, 'member'))
        .when(remove(alice, bob))
        .then([{ type: 'OrgMemberRemoved', data: { orgId, userId: bob, previousRole: 'member' } }]);
      spec
        .given(...created)
        .when(remove(alice, bob))
        .thenRefuses('ORG.MEMBER_NOT_FOUND', 'notFound');
    });

    it('a removed member no longer sees the organization', () => {
      spec
        .given(...created, member(bob, 'admin'), {
          type: 'OrgMemberRemoved',
          data: { orgId, userId: bob, previousRole: 'admin' },
        })
        .when(setRole(bob, carol, 'member'))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
    });
  });

  describe('settings', () => {
    const off = { chatSharingDisabled: false, workspaceSharingDisabled: false };

    it('owners and admins switch sharing off and on', () => {
      for (const role of ['owner', 'admin'] as const) {
        spec
          .given(...created, member(bob, role))
          .when({ type: 'ChangeOrgSettings', actorId: bob, chatSharingDisabled: true })
          .then([
            {
              type: 'OrgSettingsChanged',
              data: { orgId, settings: { ...off, chatSharingDisabled: true }, previous: off },
            },
          ]);
      }
    });

    it('members and auditors may not', () => {
      for (const role of ['member', 'auditor'] as const) {
        spec
          .given(...created, member(bob, role))
          .when({ type: 'ChangeOrgSettings', actorId: bob, workspaceSharingDisabled: true })
          .thenRefuses('ORG.FORBIDDEN', 'forbidden');
      }
    });

    it('keeps the setting not mentioned, and appends nothing for no change', () => {
      const disabled = { ...off, chatSharingDisabled: true };
      const given = spec.given(...created, {
        type: 'OrgSettingsChanged',
        data: { orgId, settings: disabled, previous: off },
      });
      given.when({ type: 'ChangeOrgSettings', actorId: alice, workspaceSharingDisabled: true }).then([
        {
          type: 'OrgSettingsChanged',
          data: {
            orgId,
            settings: { chatSharingDisabled: true, workspaceSharingDisabled: true },
            previous: disabled,
          },
        },
      ]);
      given.when({ type: 'ChangeOrgSettings', actorId: alice, chatSharingDisabled: true }).thenNothing();
    });
  });

  describe('state', () => {
    it('keeps the event behind each membership, for audit reasons', () => {
      const { state } = spec.given(...created, member(bob, 'member'));
      expect(state.status === 'active' && state.members.get(bob)?.since.eventId).toBe(
        '00000000-0000-4000-8000-000000000003',
      );
    });
  });
});

describe('Organization fold: owners and admins', () => {
  it('keeps the owner and admin sets equal to the members holding those roles', () => {
    const { state } = spec.given(
      ...created,
      member(bob, 'admin'),
      member(carol, 'admin'),
      {
        type: 'MemberRoleChanged',
        data: { orgId, userId: carol, role: 'owner', scope: 'organization', previousRole: 'admin' },
      },
      member(stranger, 'admin'),
      { type: 'OrgMemberRemoved', data: { orgId, userId: stranger, previousRole: 'admin' } },
    );
    if (state.status !== 'active') throw new Error('the org should be active');
    const holding = (role: OrgRole) =>
      [...state.members]
        .filter(([, m]) => m.role === role)
        .map(([userId]) => userId)
        .sort();
    expect([...state.owners].sort()).toEqual(holding('owner'));
    expect([...state.admins].sort()).toEqual(holding('admin'));
    expect([...state.admins]).toEqual([bob]);
  });
});
