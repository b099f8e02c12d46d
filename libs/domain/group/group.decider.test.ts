import { eventRefFor } from '../../event-store/testing/event-refs.js';
import { deciderSpec } from '../../../test/support/decider-spec.js';
import { type OrgRole } from '../../authz/policy.js';
import { PersistentMap, PersistentSet } from '../kernel/index.js';
import { type ActiveOrganization } from '../organization/organization.state.js';
import { type GroupCommand } from './group.commands.js';
import { groupDecider } from './group.decider.js';
import { type GroupEvent } from './group.events.js';
import { groupMembershipOf } from './group.state.js';

const spec = deciderSpec(groupDecider);
const orgId = '0b7d2c6e-1d1f-4d4e-9a49-0d8f3c2a1b10';
const otherOrgId = '0b7d2c6e-1d1f-4d4e-9a49-0d8f3c2a1b99';
const groupId = '9a0b0000-0000-4000-8000-000000000010';
const alice = 'a11ce000-0000-4000-8000-000000000001';
const bob = 'b0b00000-0000-4000-8000-000000000002';
const carol = 'ca201000-0000-4000-8000-000000000003';
const dave = 'da7e0000-0000-4000-8000-000000000005';
const stranger = '5ca10000-0000-4000-8000-000000000004';

/** An org as its handler would load it from the org's stream. */
function orgWith(members: Record<string, OrgRole>, id = orgId): ActiveOrganization {
  return {
    status: 'active',
    orgId: id,
    slug: 'acme',
    name: 'Acme',
    members: PersistentMap(
      Object.entries(members).map(([userId, role], i) => [userId, { role, since: eventRefFor(100 + i) }]),
    ),
    owners: PersistentSet(Object.keys(members).filter((userId) => members[userId] === 'owner')),
    admins: PersistentSet(Object.keys(members).filter((userId) => members[userId] === 'admin')),
    settings: { chatSharingDisabled: false, workspaceSharingDisabled: false },
    settingsChangedBy: null,
  };
}
/** alice owns the org, bob is an admin, carol a member, dave an auditor. */
const org = orgWith({ [alice]: 'owner', [bob]: 'admin', [carol]: 'member', [dave]: 'auditor' });
const nonManagers = [carol, dave];

const created: GroupEvent = { type: 'GroupCreated', data: { orgId, groupId, name: 'Designers' } };
const added = (userId: string): GroupEvent => ({
  type: 'GroupMemberAdded',
  data: { orgId, groupId, userId },
});
const removed = (userId: string): GroupEvent => ({
  type: 'GroupMemberRemoved',
  data: { orgId, groupId, userId },
});
const deleted: GroupEvent = { type: 'GroupDeleted', data: { orgId, groupId } };

const create = (actorId: string, name = 'Designers', inOrg = org): GroupCommand => ({
  type: 'CreateGroup',
  actorId,
  org: inOrg,
  groupId,
  name,
});
const add = (actorId: string, userId: string, inOrg = org): GroupCommand => ({
  type: 'AddGroupMember',
  actorId,
  org: inOrg,
  userId,
});
const remove = (actorId: string, userId: string): GroupCommand => ({
  type: 'RemoveGroupMember',
  actorId,
  org,
  userId,
});
const del = (actorId: string, inOrg = org): GroupCommand => ({ type: 'DeleteGroup', actorId, org: inOrg });

describe('Group', () => {
  describe('creation', () => {
    it('org owners and admins create groups', () => {
      for (const actor of [alice, bob]) spec.given().when(create(actor)).then([created]);
    });

    it('org members and auditors may not: 403', () => {
      for (const actor of nonManagers) {
        spec.given().when(create(actor)).thenRefuses('GROUP.FORBIDDEN', 'forbidden');
      }
    });

    it('non-members of the org do not see it: 404', () => {
      spec.given().when(create(stranger)).thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it.each([
      ['that is empty', ''],
      ['that is blank', '  '],
      ['of 101 characters', 'x'.repeat(101)],
    ])('refuses a name %s', (_, name) => {
      spec.given().when(create(alice, name)).thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['name']);
    });

    it('accepts a name of 100 characters', () => {
      const name = 'x'.repeat(100);
      spec
        .given()
        .when(create(alice, name))
        .then([{ type: 'GroupCreated', data: { orgId, groupId, name } }]);
    });

    it('cannot be created twice, not even after deletion', () => {
      spec.given(created).when(create(alice)).thenRefuses('GROUP.ALREADY_EXISTS', 'conflict');
      spec.given(created, deleted).when(create(alice)).thenRefuses('GROUP.ALREADY_EXISTS', 'conflict');
    });
  });

  describe('membership', () => {
    it('org owners and admins add org members', () => {
      spec
        .given(created)
        .when(add(alice, carol))
        .then([added(carol)]);
      spec
        .given(created)
        .when(add(bob, bob))
        .then([added(bob)]);
    });

    it('refuses a user who is not an org member, naming the user', () => {
      const given = spec.given(created);
      given.when(add(alice, stranger)).thenRefuses('GROUP.NOT_ORG_MEMBER', 'invalid', ['userId']);
      expect(() => groupDecider.decide(add(alice, stranger), given.state)).toThrow(stranger);
    });

    it('refuses a member who has since left the org, even if still in the group', () => {
      const withoutCarol = orgWith({ [alice]: 'owner' });
      spec
        .given(created, added(carol))
        .when(add(alice, carol, withoutCarol))
        .thenRefuses('GROUP.NOT_ORG_MEMBER', 'invalid', ['userId']);
    });

    it('adding a member already there appends nothing (idempotent PUT)', () => {
      spec.given(created, added(carol)).when(add(alice, carol)).thenNothing();
    });

    it('removes a member', () => {
      spec
        .given(created, added(carol))
        .when(remove(bob, carol))
        .then([removed(carol)]);
    });

    it('removing a user who is not a member appends nothing (idempotent DELETE)', () => {
      spec.given(created).when(remove(alice, carol)).thenNothing();
      spec.given(created, added(carol), removed(carol)).when(remove(alice, carol)).thenNothing();
    });

    it('org members and auditors may not add or remove: 403', () => {
      for (const actor of nonManagers) {
        spec.given(created).when(add(actor, carol)).thenRefuses('GROUP.FORBIDDEN', 'forbidden');
        spec
          .given(created, added(carol))
          .when(remove(actor, carol))
          .thenRefuses('GROUP.FORBIDDEN', 'forbidden');
      }
    });

    it('non-members of the org do not see it: 404', () => {
      spec.given(created).when(add(stranger, carol)).thenRefuses('ORG.NOT_FOUND', 'notFound');
      spec
        .given(created, added(carol))
        .when(remove(stranger, carol))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
    });
  });

  describe('deletion', () => {
    it('org owners and admins delete; members and auditors may not', () => {
      spec.given(created, added(carol)).when(del(bob)).then([deleted]);
      for (const actor of nonManagers) {
        spec.given(created).when(del(actor)).thenRefuses('GROUP.FORBIDDEN', 'forbidden');
      }
      spec.given(created).when(del(stranger)).thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it('a deleted group is not found for every command', () => {
      const given = spec.given(created, added(carol), deleted);
      for (const command of [add(alice, carol), add(alice, bob), remove(alice, carol), del(alice)]) {
        given.when(command).thenRefuses('GROUP.NOT_FOUND', 'notFound');
      }
    });

    it('a group that does not exist is not found, to managers and members alike', () => {
      for (const command of [add(alice, carol), remove(alice, carol), del(alice), del(carol)]) {
        spec.given().when(command).thenRefuses('GROUP.NOT_FOUND', 'notFound');
      }
    });

    it("another org's group is not found, whatever the actor's role there", () => {
      const other = orgWith({ [alice]: 'owner', [carol]: 'member' }, otherOrgId);
      spec
        .given(created)
        .when(add(alice, carol, other))
        .thenRefuses('GROUP.NOT_FOUND', 'notFound');
      spec.given(created).when(del(alice, other)).thenRefuses('GROUP.NOT_FOUND', 'notFound');
    });
  });

  describe('state', () => {
    it('keeps the event behind each membership, for authz reasons', () => {
      const { state } = spec.given(created, added(carol), added(bob), removed(bob));
      expect(state.status === 'active' && [...state.members.keys()]).toEqual([carol]);
      expect(groupMembershipOf(state, carol)).toEqual({ groupId, since: eventRefFor(2) });
      expect(groupMembershipOf(state, bob)).toBeNull();
    });

    it('a deleted group grants no membership', () => {
      const { state } = spec.given(created, added(carol), deleted);
      expect(state).toMatchObject({ status: 'deleted', deletedBy: eventRefFor(3) });
      expect(groupMembershipOf(state, carol)).toBeNull();
    });
  });
});
