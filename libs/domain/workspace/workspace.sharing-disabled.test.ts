import { deciderSpec } from '../../../test/support/decider-spec.js';
import { workspaceDecider } from './workspace.decider.js';
import {
  adam,
  alice,
  bob,
  carol,
  changed,
  created,
  member,
  olga,
  org,
  remove,
  removed,
  setRole,
  sharingOff,
} from './testing/workspace.fixtures.js';

const spec = deciderSpec(workspaceDecider);

/**
 * `workspaceSharingDisabled` (DESIGN.md §5): adding members is refused, and
 * non-owner memberships grant nothing. Our reading: it stops every change
 * that would grant (additions, promotions), never one that revokes.
 */
describe('Workspace while workspace sharing is disabled', () => {
  it('refuses adding members, whoever adds and whatever the role (403)', () => {
    for (const actor of [alice, olga, adam]) {
      spec
        .given(...created)
        .when(setRole(actor, carol, 'viewer', sharingOff))
        .thenRefuses('WORKSPACE.SHARING_DISABLED', 'forbidden');
    }
    spec
      .given(...created)
      .when(setRole(alice, carol, 'owner', sharingOff))
      .thenRefuses('WORKSPACE.SHARING_DISABLED', 'forbidden');
  });

  it('refuses promotions, which would grant what the setting withholds', () => {
    const given = spec.given(...created, member(bob, 'viewer'));
    given
      .when(setRole(alice, bob, 'member', sharingOff))
      .thenRefuses('WORKSPACE.SHARING_DISABLED', 'forbidden');
    given
      .when(setRole(alice, bob, 'owner', sharingOff))
      .thenRefuses('WORKSPACE.SHARING_DISABLED', 'forbidden');
    given
      .when(setRole(olga, bob, 'admin', sharingOff))
      .thenRefuses('WORKSPACE.SHARING_DISABLED', 'forbidden');
  });

  it('still allows demotions and removals', () => {
    const given = spec.given(...created, member(bob, 'admin'), member(carol, 'owner'));
    given.when(setRole(alice, bob, 'viewer', sharingOff)).then([changed(bob, 'viewer', 'admin')]);
    given.when(setRole(olga, bob, 'member', sharingOff)).then([changed(bob, 'member', 'admin')]);
    given.when(remove(adam, bob, sharingOff)).then([removed(bob, 'admin')]);
    given.when(setRole(alice, carol, 'admin', sharingOff)).then([changed(carol, 'admin', 'owner')]);
    given.when(remove(alice, alice, sharingOff)).then([removed(alice, 'owner')]);
  });

  it('appends nothing for a role already held', () => {
    spec
      .given(...created, member(bob, 'member'))
      .when(setRole(alice, bob, 'member', sharingOff))
      .thenNothing();
  });

  it('hides the workspace from non-owner members, whose membership grants nothing (404)', () => {
    const given = spec.given(...created, member(bob, 'admin'), member(carol, 'viewer'));
    given.when(setRole(bob, carol, 'member', sharingOff)).thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
    given.when(remove(bob, carol, sharingOff)).thenRefuses('WORKSPACE.NOT_FOUND', 'notFound');
  });

  it('gives the stored memberships back when switched off again', () => {
    spec
      .given(...created, member(bob, 'admin'), member(carol, 'viewer'))
      .when(setRole(bob, carol, 'member', org))
      .then([changed(carol, 'member', 'viewer')]);
  });
});
