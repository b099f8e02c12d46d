import fc from 'fast-check';
import { eventRefFor } from '../event-store/testing/event-refs.js';
import { type ChatAccessFacts } from './access-facts.js';
import { evaluateChatAccess } from './evaluate.js';
import { ACL_ROLES, ORG_ROLES, PERMISSIONS, unionPermissions, WORKSPACE_ROLES } from './policy.js';

/**
 * Invariants of DESIGN.md §5 over arbitrary fact sets, complementing the
 * hand-written tables in evaluate.test.ts (which pin the exact answers).
 */
const USER = 'u';
const ROOT = 'root';

const eventRef = fc.nat({ max: 0xffff }).map((n) => eventRefFor(n));
const rarely = fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false)));
const groupId = fc.constantFrom('g1', 'g2', 'g3');

const facts: fc.Arbitrary<ChatAccessFacts> = fc.record({
  userId: fc.constant(USER),
  org: fc.record({
    chatSharingDisabled: fc.boolean(),
    workspaceSharingDisabled: fc.boolean(),
    membership: fc.option(fc.record({ role: fc.constantFrom(...ORG_ROLES), since: eventRef }), { freq: 8 }),
  }),
  chat: fc.record({
    id: fc.constantFrom(ROOT, 'sub'),
    rootId: fc.constant(ROOT),
    ownerId: fc.constantFrom(USER, 'v'),
    deleted: rarely,
  }),
  root: fc.record({
    id: fc.constant(ROOT),
    ownerId: fc.constantFrom(USER, 'v'),
    createdBy: eventRef,
    deleted: rarely,
    acl: fc.uniqueArray(
      fc.record({
        subject: fc.oneof(
          fc.record({ kind: fc.constant('user' as const), id: fc.constantFrom(USER, 'v') }),
          fc.record({ kind: fc.constant('group' as const), id: groupId }),
        ),
        role: fc.constantFrom(...ACL_ROLES),
        grantedBy: eventRef,
      }),
      { selector: (entry) => `${entry.subject.kind}:${entry.subject.id}`, maxLength: 5 },
    ),
  }),
  groupMemberships: fc.uniqueArray(fc.record({ groupId, since: eventRef }), { selector: (m) => m.groupId }),
  workspace: fc.option(
    fc.record({
      id: fc.constant('w'),
      archivedBy: fc.option(eventRef),
      membership: fc.option(fc.record({ role: fc.constantFrom(...WORKSPACE_ROLES), since: eventRef })),
    }),
  ),
});

const hasNoAccessAtAll = (f: ChatAccessFacts) =>
  f.org.membership === null || f.chat.deleted || f.root.deleted;

describe('evaluateChatAccess invariants', () => {
  it('answers exactly the union of its reasons, in policy order, each reason granting something', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const { permissions, reasons } = evaluateChatAccess(f);
        expect(permissions).toEqual(unionPermissions(...reasons.map((r) => r.permissions)));
        expect(permissions).toEqual(PERMISSIONS.filter((p) => permissions.includes(p)));
        for (const reason of reasons) expect(reason.permissions.length).toBeGreaterThan(0);
      }),
    );
  });

  it('gives nothing to non-members and on deleted chats (rule 1)', () => {
    fc.assert(
      fc.property(facts.filter(hasNoAccessAtAll), (f) => {
        expect(evaluateChatAccess(f)).toEqual({ permissions: [], reasons: [], writeBlocked: null });
      }),
    );
  });

  it('leaves an archived workspace read only for everyone, and says so (§5 Workspace)', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const decision = evaluateChatAccess(f);
        const archivedBy = hasNoAccessAtAll(f) ? null : (f.workspace?.archivedBy ?? null);
        if (archivedBy) expect(decision.permissions.filter((p) => p !== 'read')).toEqual([]);
        expect(decision.writeBlocked).toEqual(archivedBy && { kind: 'workspaceArchived', event: archivedBy });
      }),
    );
  });

  it('lists no inert source: ACL entries while chat sharing is off, non-owner workspace roles while workspace sharing is off, member and auditor roles', () => {
    fc.assert(
      fc.property(facts, (f) => {
        for (const reason of evaluateChatAccess(f).reasons) {
          if (reason.kind === 'direct' || reason.kind === 'group')
            expect(f.org.chatSharingDisabled).toBe(false);
          if (reason.kind === 'workspace' && f.org.workspaceSharingDisabled)
            expect(reason.role).toBe('owner');
          if (reason.kind === 'orgRole') expect(['owner', 'admin']).toContain(reason.role);
        }
      }),
    );
  });

  it('does not depend on the order of ACL entries or group memberships', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const reordered = {
          ...f,
          root: { ...f.root, acl: [...f.root.acl].reverse() },
          groupMemberships: [...f.groupMemberships].reverse(),
        };
        expect(evaluateChatAccess(reordered)).toEqual(evaluateChatAccess(f));
      }),
    );
  });

  it('answers for a sub-chat what it answers for its root, whoever created the sub-chat', () => {
    fc.assert(
      fc.property(facts, fc.constantFrom(USER, 'v'), (f, creator) => {
        const asRoot = { ...f, chat: { ...f.chat, id: ROOT, ownerId: f.root.ownerId } };
        const asSubChat = { ...f, chat: { ...f.chat, id: 'sub', ownerId: creator } };
        expect(evaluateChatAccess(asSubChat)).toEqual(evaluateChatAccess(asRoot));
      }),
    );
  });
});
