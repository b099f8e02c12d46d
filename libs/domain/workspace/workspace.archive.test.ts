import { eventRefFor } from '../../event-store/testing/event-refs.js';
import { deciderSpec } from '../../../test/support/decider-spec.js';
import { type WorkspaceEvent } from './workspace.events.js';
import { workspaceDecider } from './workspace.decider.js';
import {
  adam,
  alice,
  archive,
  archived,
  audrey,
  bob,
  carol,
  created,
  member,
  olga,
  remove,
  removed,
  setRole,
  sharingOff,
  stranger,
  unarchive,
  unarchived,
} from './testing/workspace.fixtures.js';

const spec = deciderSpec(workspaceDecider);

describe('Workspace archiving', () => {
  describe('who archives and unarchives', () => {
    it('workspace owners and org owners do', () => {
      for (const actor of [alice, olga]) {
        spec
          .given(...created)
          .when(archive(actor))
          .then([archived]);
        spec
          .given(...created, archived)
          .when(unarchive(actor))
          .then([unarchived]);
      }
    });

    it('an owner still does while workspace sharing is disabled', () => {
      spec
        .given(...created)
        .when(archive(alice, sharingOff))
        .then([archived]);
    });

    it.each([
      ['a workspace admin', bob, [member(bob, 'admin')]],
      ['a workspace member', bob, [member(bob, 'member')]],
      ['a workspace viewer', bob, [member(bob, 'viewer')]],
      ['an org admin', adam, []],
    ] as const)('%s may see it but not archive or unarchive it (403)', (_, actor, events) => {
      spec
        .given(...created, ...events)
        .when(archive(actor))
        .thenRefuses('WORKSPACE.FORBIDDEN', 'forbidden');
      spec
        .given(...created, ...events, archived)
        .when(unarchive(actor))
        .thenRefuses('WORKSPACE.FORBIDDEN', 'forbidden');
      // Permission comes before the no-op, as for roles.
      spec
        .given(...created, ...events, archived)
        .when(archive(actor))
        .thenRefuses('WORKSPACE.FORBIDDEN', 'forbidden');
    });

    it('appends nothing when archiving an archived workspace or unarchiving an active one', () => {
      spec
        .given(...created, archived)
        .when(archive(alice))
        .thenNothing();
      spec
        .given(...created)
        .when(unarchive(olga))
        .thenNothing();
      spec
        .given(...created, archived, unarchived)
        .when(unarchive(alice))
        .thenNothing();
    });
  });

  describe('while archived: 410 for every membership change, whatever the caller’s role', () => {
    const whileArchived: Array<[string, string, WorkspaceEvent[]]> = [
      ['the workspace owner', alice, []],
      ['a workspace admin', bob, [member(bob, 'admin')]],
      ['a workspace member', bob, [member(bob, 'member')]],
      ['a workspace viewer', bob, [member(bob, 'viewer')]],
      ['an org owner', olga, []],
      ['an org admin', adam, []],
    ];

    it.each(whileArchived)('%s gets 410, before any 403, 409 or 404 of a member', (_, actor, events) => {
      const given = spec.given(...created, ...events, member(audrey, 'member'), archived);
      given.when(setRole(actor, carol, 'member')).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      given.when(setRole(actor, carol, 'owner')).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      given.when(setRole(actor, audrey, 'viewer')).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      given.when(setRole(actor, alice, 'admin')).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      given.when(remove(actor, audrey)).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      given.when(remove(actor, alice)).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      given.when(remove(actor, carol)).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
    });

    it('answers 410 even to a change that would append nothing', () => {
      const given = spec.given(...created, member(bob, 'member'), archived);
      given.when(setRole(alice, bob, 'member')).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      given.when(setRole(alice, alice, 'owner')).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
    });

    it('still answers 404 to those who cannot see it', () => {
      const given = spec.given(...created, archived);
      given.when(setRole(carol, carol, 'member')).thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
      given.when(remove(audrey, alice)).thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
      given.when(setRole(stranger, carol, 'member')).thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it('accepts membership changes again once unarchived', () => {
      const given = spec.given(...created, member(bob, 'member'), archived, unarchived);
      given.when(setRole(alice, carol, 'viewer')).then([member(carol, 'viewer')]);
      given.when(remove(alice, bob)).then([removed(bob, 'member')]);
    });
  });

  describe('state', () => {
    it('keeps the archiving event while archived, and forgets it once unarchived', () => {
      const { state } = spec.given(...created, archived);
      expect(state).toMatchObject({ status: 'active', archived: true, archivedBy: eventRefFor(3) });
      const { state: again } = spec.given(...created, archived, unarchived);
      expect(again).toMatchObject({ status: 'active', archived: false, archivedBy: null });
    });

    it('keeps the event behind each membership, for audit reasons', () => {
      const { state } = spec.given(...created, member(bob, 'member'));
      expect(state.status === 'active' && state.members.get(alice)?.since).toEqual(eventRefFor(2));
      expect(state.status === 'active' && state.members.get(bob)).toEqual({
        role: 'member',
        since: eventRefFor(3),
      });
    });
  });
});
