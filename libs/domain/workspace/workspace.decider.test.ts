import { deciderSpec } from '../../../test/support/decider-spec.js';
import { type WorkspaceRole } from '../../authz/policy.js';
import { type WorkspaceCommand } from './workspace.commands.js';
import { workspaceDecider } from './workspace.decider.js';
import {
  adam,
  alice,
  archive,
  audrey,
  bob,
  carol,
  changed,
  create,
  created,
  member,
  olga,
  org,
  orgId,
  orgWith,
  otherOrgId,
  remove,
  removed,
  setRole,
  sharingOff,
  stranger,
  unarchive,
  workspaceId,
} from './testing/workspace.fixtures.js';

const spec = deciderSpec(workspaceDecider);

/** Every command on an existing workspace, so that rules about all of them are tested on all of them. */
const onWorkspace: Array<[string, (actorId: string, inOrg?: typeof org) => WorkspaceCommand]> = [
  ['add a member', (actorId, inOrg) => setRole(actorId, carol, 'member', inOrg)],
  ['change a role', (actorId, inOrg) => setRole(actorId, bob, 'viewer', inOrg)],
  ['remove a member', (actorId, inOrg) => remove(actorId, bob, inOrg)],
  ['archive', (actorId, inOrg) => archive(actorId, inOrg)],
  ['unarchive', (actorId, inOrg) => unarchive(actorId, inOrg)],
];

describe('Workspace', () => {
  describe('creation', () => {
    it.each(['owner', 'admin', 'member'] as const)('an org %s creates it and becomes its owner', (role) => {
      spec
        .given()
        .when(create(alice, orgWith({ [alice]: role })))
        .then(created);
    });

    it('is refused to auditors (403) and invisible to non-members of the org (404)', () => {
      spec.given().when(create(audrey)).thenRefuses('WORKSPACE.FORBIDDEN', 'forbidden');
      spec.given().when(create(stranger)).thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it.each(['a', 'Design', '-design', 'design-', 'de_sign', 'x'.repeat(65)])(
      'refuses the slug %j',
      (slug) => {
        spec
          .given()
          .when(create(alice, org, slug))
          .thenRefuses('INPUT.SLUG', 'invalid', ['slug']);
      },
    );

    it('takes a name of 1 to 200 characters', () => {
      spec
        .given()
        .when(create(alice, org, 'design', '  '))
        .thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['name']);
      spec
        .given()
        .when(create(alice, org, 'design', 'x'.repeat(201)))
        .thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['name']);
      const name = 'x'.repeat(200);
      spec
        .given()
        .when(create(alice, org, 'design', name))
        .then([
          { type: 'WorkspaceCreated', data: { orgId, workspaceId, slug: 'design', name, createdBy: alice } },
          member(alice, 'owner'),
        ]);
    });

    it('is allowed while workspace sharing is disabled: it adds only its owner', () => {
      spec.given().when(create(alice, sharingOff)).then(created);
    });

    it('cannot happen twice', () => {
      spec
        .given(...created)
        .when(create(alice))
        .thenRefuses('WORKSPACE.ALREADY_EXISTS', 'conflict');
    });
  });

  describe('visibility: 404, never 403, for whoever cannot see it', () => {
    describe.each(onWorkspace)('%s', (_, command) => {
      it('answers 404 when the workspace does not exist', () => {
        spec.given().when(command(olga)).thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
        spec.given().when(command(stranger)).thenRefuses('ORG.NOT_FOUND', 'notFound');
      });

      it('answers 404 to org members and auditors outside it, and to non-members of the org', () => {
        const given = spec.given(...created, member(bob, 'member'));
        given.when(command(carol)).thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
        given.when(command(audrey)).thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
        given.when(command(stranger)).thenRefuses('ORG.NOT_FOUND', 'notFound');
      });

      it('answers 404 to a workspace member who has left the org', () => {
        spec
          .given(...created, member(bob, 'member'), member(carol, 'admin'))
          .when(command(carol, orgWith({ [carol]: null })))
          .thenRefuses('ORG.NOT_FOUND', 'notFound');
      });

      it('answers 404 when the workspace belongs to another org', () => {
        spec
          .given(...created, member(bob, 'member'))
          .when(command(alice, orgWith({}, { id: otherOrgId })))
          .thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
      });
    });
  });

  describe('roles', () => {
    it.each(['owner', 'admin', 'member', 'viewer'] as const)('an owner adds a %s', (role) => {
      spec
        .given(...created)
        .when(setRole(alice, bob, role))
        .then([member(bob, role)]);
    });

    it('workspace admins, org owners and org admins manage admin, member and viewer', () => {
      for (const manager of [bob, olga, adam]) {
        const given = spec.given(...created, member(bob, 'admin'), member(carol, 'viewer'));
        given.when(setRole(manager, carol, 'admin')).then([changed(carol, 'admin', 'viewer')]);
        given.when(remove(manager, carol)).then([removed(carol, 'viewer')]);
      }
      spec
        .given(...created)
        .when(setRole(olga, carol, 'viewer'))
        .then([member(carol, 'viewer')]);
    });

    it('workspace members and viewers manage nothing (403)', () => {
      for (const role of ['member', 'viewer'] as const) {
        const given = spec.given(...created, member(bob, role), member(carol, 'viewer'));
        given.when(setRole(bob, carol, 'member')).thenRefuses('WORKSPACE.FORBIDDEN', 'forbidden');
        given.when(remove(bob, carol)).thenRefuses('WORKSPACE.FORBIDDEN', 'forbidden');
      }
    });

    it('records the previous role, and appends nothing when the role is already held', () => {
      const given = spec.given(...created, member(bob, 'member'));
      given.when(setRole(alice, bob, 'admin')).then([changed(bob, 'admin', 'member')]);
      given.when(setRole(alice, bob, 'member')).thenNothing();
    });

    it('refuses a role that does not exist', () => {
      spec
        .given(...created)
        .when(setRole(alice, bob, 'auditor' as WorkspaceRole))
        .thenRefuses('INPUT.ROLE', 'invalid', ['role']);
    });

    it('takes only org members, naming the user (400), also on a role change after they left the org', () => {
      spec
        .given(...created)
        .when(setRole(alice, stranger, 'member'))
        .thenRefuses('WORKSPACE.NOT_ORG_MEMBER', 'invalid', ['userId']);
      spec
        .given(...created, member(bob, 'member'))
        .when(setRole(alice, bob, 'viewer', orgWith({ [bob]: null })))
        .thenRefuses('WORKSPACE.NOT_ORG_MEMBER', 'invalid', ['userId']);
    });

    it('lets an auditor of the org be added: the workspace role is what counts', () => {
      spec
        .given(...created)
        .when(setRole(alice, audrey, 'viewer'))
        .then([member(audrey, 'viewer')]);
    });
  });

  describe('owner rules', () => {
    it('only a workspace owner grants owner; org owners and admins act as admins only', () => {
      for (const actor of [bob, olga, adam]) {
        spec
          .given(...created, member(bob, 'admin'), member(carol, 'member'))
          .when(setRole(actor, carol, 'owner'))
          .thenRefuses('WORKSPACE.OWNER_ONLY', 'forbidden');
      }
      spec
        .given(...created, member(carol, 'member'))
        .when(setRole(alice, carol, 'owner'))
        .then([changed(carol, 'owner', 'member')]);
      spec
        .given(...created, member(olga, 'owner'))
        .when(setRole(olga, carol, 'owner'))
        .then([member(carol, 'owner')]);
    });

    it('only a workspace owner revokes owner, by demotion or removal', () => {
      for (const actor of [bob, olga, adam]) {
        const given = spec.given(...created, member(bob, 'admin'), member(carol, 'owner'));
        given.when(setRole(actor, carol, 'admin')).thenRefuses('WORKSPACE.OWNER_ONLY', 'forbidden');
        given.when(remove(actor, carol)).thenRefuses('WORKSPACE.OWNER_ONLY', 'forbidden');
      }
      const given = spec.given(...created, member(carol, 'owner'));
      given.when(setRole(alice, carol, 'member')).then([changed(carol, 'member', 'owner')]);
      given.when(remove(alice, carol)).then([removed(carol, 'owner')]);
    });

    it('nobody gives themselves a role, nor changes or removes their own', () => {
      const given = spec.given(...created, member(bob, 'admin'), member(carol, 'viewer'));
      given.when(setRole(bob, bob, 'owner')).thenRefuses('WORKSPACE.SELF_ROLE', 'forbidden');
      given.when(setRole(bob, bob, 'member')).thenRefuses('WORKSPACE.SELF_ROLE', 'forbidden');
      given.when(remove(bob, bob)).thenRefuses('WORKSPACE.SELF_ROLE', 'forbidden');
      given.when(setRole(carol, carol, 'member')).thenRefuses('WORKSPACE.SELF_ROLE', 'forbidden');
      given.when(remove(carol, carol)).thenRefuses('WORKSPACE.SELF_ROLE', 'forbidden');
      // Acting as admin through the org does not let one join, or rise within, the workspace.
      given.when(setRole(adam, adam, 'viewer')).thenRefuses('WORKSPACE.SELF_ROLE', 'forbidden');
      spec
        .given(...created, member(olga, 'viewer'))
        .when(setRole(olga, olga, 'admin'))
        .thenRefuses('WORKSPACE.SELF_ROLE', 'forbidden');
      given.when(setRole(bob, bob, 'admin')).thenNothing();
    });

    it('an owner may step down while another owner remains', () => {
      const given = spec.given(...created, member(bob, 'owner'));
      given.when(setRole(alice, alice, 'admin')).then([changed(alice, 'admin', 'owner')]);
      given.when(remove(alice, alice)).then([removed(alice, 'owner')]);
    });

    it('the last owner can be neither demoted nor removed (409)', () => {
      const given = spec.given(...created);
      given.when(setRole(alice, alice, 'admin')).thenRefuses('WORKSPACE.LAST_OWNER', 'conflict');
      given.when(remove(alice, alice)).thenRefuses('WORKSPACE.LAST_OWNER', 'conflict');
    });

    it('counts owners after demotions and removals', () => {
      spec
        .given(...created, member(bob, 'owner'), member(carol, 'owner'), removed(bob, 'owner'))
        .when(remove(carol, carol))
        .then([removed(carol, 'owner')]);
      spec
        .given(...created, member(bob, 'owner'), changed(bob, 'admin', 'owner'))
        .when(setRole(alice, alice, 'member'))
        .thenRefuses('WORKSPACE.LAST_OWNER', 'conflict');
    });

    it('does not count an owner who left the org as one who remains', () => {
      const bobGone = orgWith({ [bob]: null });
      const given = spec.given(...created, member(bob, 'owner'));
      given.when(remove(alice, alice, bobGone)).thenRefuses('WORKSPACE.LAST_OWNER', 'conflict');
      given.when(remove(alice, bob, bobGone)).then([removed(bob, 'owner')]);
    });
  });

  describe('removal', () => {
    it('removes a member with their previous role, and answers 404 for a non-member', () => {
      const given = spec.given(...created, member(bob, 'viewer'));
      given.when(remove(alice, bob)).then([removed(bob, 'viewer')]);
      given.when(remove(alice, carol)).thenRefuses('WORKSPACE.MEMBER_NOT_FOUND', 'notFound');
      given.when(remove(adam, adam)).thenRefuses('WORKSPACE.MEMBER_NOT_FOUND', 'notFound');
    });

    it('a removed member no longer sees the workspace', () => {
      spec
        .given(...created, member(bob, 'admin'), removed(bob, 'admin'))
        .when(setRole(bob, carol, 'member'))
        .thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
    });

    it('removes a member who has left the org (their entry is inert, but still there)', () => {
      spec
        .given(...created, member(bob, 'member'))
        .when(remove(alice, bob, orgWith({ [bob]: null })))
        .then([removed(bob, 'member')]);
    });
  });
});
