import { deciderSpec } from '../../../test/support/decider-spec.js';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../../authz/policy.js';
import { DomainError } from '../kernel/index.js';
import {
  assertWritable,
  canSeeWorkspace,
  effectiveWorkspaceRole,
  isArchived,
  outranks,
} from './workspace.access.js';
import { workspaceDecider } from './workspace.decider.js';
import { type ActiveWorkspace } from './workspace.state.js';
import { type WorkspaceEvent } from './workspace.events.js';
import {
  adam,
  alice,
  archived,
  audrey,
  bob,
  carol,
  created,
  member,
  olga,
  org,
  orgWith,
  otherOrgId,
  sharingOff,
  stranger,
} from './testing/workspace.fixtures.js';

const spec = deciderSpec(workspaceDecider);

function workspace(...events: WorkspaceEvent[]): ActiveWorkspace {
  const { state } = spec.given(...created, ...events);
  if (state.status !== 'active') throw new Error('expected an active workspace');
  return state;
}

describe('workspace access helpers', () => {
  describe('effectiveWorkspaceRole and canSeeWorkspace', () => {
    // Audrey is an org auditor: her workspace role is what counts. Olga owns the org.
    const ws = workspace(member(bob, 'admin'), member(audrey, 'member'), member(olga, 'viewer'));
    const cases: Array<[string, string, WorkspaceRole | null, WorkspaceRole | null]> = [
      // who, user, with sharing on, with workspaceSharingDisabled
      ['a workspace owner', alice, 'owner', 'owner'],
      ['a workspace admin', bob, 'admin', null],
      ['a workspace member (an org auditor)', audrey, 'member', null],
      ['an org owner who is a workspace viewer: admin through the org', olga, 'admin', 'admin'],
      ['an org admin outside the workspace', adam, 'admin', 'admin'],
      ['an org member outside the workspace', carol, null, null],
      ['a non-member of the org', stranger, null, null],
    ];

    it.each(cases)('%s', (_, userId, expected, whileDisabled) => {
      expect(effectiveWorkspaceRole(ws, org, userId)).toBe(expected);
      expect(canSeeWorkspace(ws, org, userId)).toBe(expected !== null);
      expect(effectiveWorkspaceRole(ws, sharingOff, userId)).toBe(whileDisabled);
      expect(canSeeWorkspace(ws, sharingOff, userId)).toBe(whileDisabled !== null);
    });

    it.each(WORKSPACE_ROLES)(
      'a plain org member holding %s acts as one, and only owner counts while disabled',
      (role) => {
        const ws = workspace(member(bob, role));
        expect(effectiveWorkspaceRole(ws, org, bob)).toBe(role);
        expect(effectiveWorkspaceRole(ws, sharingOff, bob)).toBe(role === 'owner' ? 'owner' : null);
      },
    );

    it('keeps a workspace owner who is an org owner an owner', () => {
      expect(effectiveWorkspaceRole(workspace(member(olga, 'owner')), org, olga)).toBe('owner');
    });

    it('gives nothing to a member who has left the org', () => {
      expect(effectiveWorkspaceRole(ws, orgWith({ [bob]: null }), bob)).toBeNull();
    });

    it('gives nothing in a workspace of another org, even to its owners and admins', () => {
      const elsewhere = orgWith({}, { id: otherOrgId });
      expect(effectiveWorkspaceRole(ws, elsewhere, alice)).toBeNull();
      expect(effectiveWorkspaceRole(ws, elsewhere, adam)).toBeNull();
    });
  });

  it('ranks owner over admin over member over viewer', () => {
    expect(outranks('owner', 'admin') && outranks('admin', 'member') && outranks('member', 'viewer')).toBe(
      true,
    );
    expect(outranks('viewer', 'member') || outranks('admin', 'admin')).toBe(false);
  });

  it('assertWritable answers 410 for an archived workspace only', () => {
    expect(isArchived(workspace())).toBe(false);
    expect(() => assertWritable(workspace())).not.toThrow();
    const gone = workspace(archived);
    expect(isArchived(gone)).toBe(true);
    let error: unknown;
    try {
      assertWritable(gone);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect({ code: (error as DomainError).code, kind: (error as DomainError).kind }).toEqual({
      code: 'WORKSPACE.ARCHIVED',
      kind: 'gone',
    });
  });
});
