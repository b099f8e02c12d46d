import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiAnswer, startE2eApp, type E2eApp } from '../e2e/support/e2e-app.js';
import { type Person, type ScriptedHistory, scriptHistory, type Step } from './scripted-history.js';

const ALL = ['read', 'write', 'share', 'delete'];
const RW = ['read', 'write'];

/**
 * GET …/audit/explain (DESIGN.md §9): it must agree with GET …/audit/access
 * at every instant of the scripted history, and a denial must say what would
 * have granted and which event (id, position, time, actor) blocked it, for
 * every kind of blocker.
 */
describe('GET /v1/orgs/{org}/audit/explain: decisions, and what blocked a grant', () => {
  let app: E2eApp;
  let h: ScriptedHistory;

  beforeAll(async () => {
    app = await startE2eApp();
    h = await scriptHistory(app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  const audit = (orgId: string, route: string, query: Record<string, string>, token = h.olga.token) =>
    app.request('GET', `/v1/orgs/${orgId}/audit/${route}?${new URLSearchParams(query)}`, { token });

  it('agrees with audit/access for every user at every step, by position and by time, and explains each loss', async () => {
    const people = { ...pick(h) };
    const everHad = new Map<string, Set<string>>(); // chat → users who held something at an earlier step
    let explained = 0;
    for (const step of h.steps) {
      for (const chatId of [h.chatId, h.subChatId]) {
        const had = everHad.get(chatId) ?? new Set<string>();
        const holdersNow = new Set<string>();
        for (const asOf of [step.position, step.occurredAt]) {
          const access = await audit(h.orgId, 'access', { chatId, asOf }, h.audrey.token);
          const context = { step: step.label, chatId, asOf };
          const permissionsOf = new Map<string, string[]>(
            access.status === 200
              ? access.body.users.map((u: { userId: string; permissions: string[] }) => [
                  u.userId,
                  u.permissions,
                ])
              : [],
          );
          for (const [name, person] of Object.entries(people)) {
            const answer = await audit(
              h.orgId,
              'explain',
              { chatId, userId: person.id, asOf },
              h.audrey.token,
            );
            explained++;
            expect({ ...context, name, status: answer.status }).toEqual({
              ...context,
              name,
              status: access.status,
            });
            if (access.status !== 200) continue;
            const expected = permissionsOf.get(person.id) ?? [];
            expect({
              ...context,
              name,
              allowed: answer.body.allowed,
              permissions: answer.body.permissions,
            }).toEqual({
              ...context,
              name,
              allowed: expected.includes('read'),
              permissions: expected,
            });
            if (expected.length > 0) holdersNow.add(person.id);
            if (!answer.body.allowed && had.has(person.id)) {
              // Access existed before: the denial names at least one blocker, with its event and what it withheld.
              expect({ ...context, name, blockers: answer.body.blockedBy.length > 0 }).toEqual({
                ...context,
                name,
                blockers: true,
              });
              for (const blocker of answer.body.blockedBy) {
                expect(blocker.wouldGrant.permissions.length).toBeGreaterThan(0);
                expect(blocker.wouldGrant.reasons.length).toBeGreaterThan(0);
              }
            }
          }
        }
        for (const userId of holdersNow) had.add(userId);
        everHad.set(chatId, had);
      }
    }
    expect(explained).toBe(h.steps.length * 2 * 2 * Object.keys(people).length);
  });

  describe('blockers beyond switches and removals from the org', () => {
    let b: BlockerHistory;
    beforeAll(async () => {
      b = await scriptBlockers(app, h);
    }, 60_000);

    const explain = (who: Person, label: string) =>
      audit(b.orgId, 'explain', { chatId: b.chatId, userId: who.id, asOf: b.step(label).position });
    const causeOf = (label: string, type: string, actor: Person) => ({
      type,
      eventId: expect.any(String),
      position: b.step(label).position,
      occurredAt: b.step(label).occurredAt,
      actorId: actor.id,
    });

    it('a group entry removed from the ACL: the group would grant through the membership', async () => {
      const granted = await explain(h.bob, 'share-g1');
      expect(granted.body).toMatchObject({ allowed: true, permissions: ['read'], blockedBy: [] });
      const denied = await explain(h.bob, 'unshare-g1');
      expect(denied.status).toBe(200);
      expect(denied.body).toMatchObject({ allowed: false, permissions: [], reasons: [] });
      expect(denied.body.blockedBy).toEqual([
        {
          kind: 'aclEntryRemoved',
          subjectId: b.group1,
          cause: causeOf('unshare-g1', 'ChatUnshared', h.olga),
          wouldGrant: {
            permissions: ['read'],
            reasons: [
              expect.objectContaining({
                kind: 'group',
                role: 'viewer',
                subjectId: b.group1,
                // The entry as its ChatShared set it, and Bob's membership of the group.
                event: expect.objectContaining({ position: b.step('share-g1').position }),
                membership: expect.objectContaining({ actorId: h.olga.id }),
              }),
            ],
          },
        },
      ]);
    });

    it('a group deleted while on the ACL: its members at deletion would hold its entry', async () => {
      const granted = await explain(h.carol, 'share-g2');
      expect(granted.body).toMatchObject({ allowed: true, permissions: RW });
      const denied = await explain(h.carol, 'delete-g2');
      expect(denied.body).toMatchObject({ allowed: false, permissions: [], reasons: [] });
      expect(denied.body.blockedBy).toEqual([
        {
          kind: 'groupDeleted',
          subjectId: b.group2,
          cause: causeOf('delete-g2', 'GroupDeleted', h.adam),
          wouldGrant: {
            permissions: RW,
            reasons: [expect.objectContaining({ kind: 'group', role: 'editor', subjectId: b.group2 })],
          },
        },
      ]);
      // Mia was never in the group: its deletion took nothing from her.
      expect((await explain(h.mia, 'delete-g2')).body.blockedBy).toEqual([]);
    });

    it('a workspace role changed down, then the membership removed', async () => {
      expect((await explain(h.alice, 'ws-member')).body).toMatchObject({ permissions: RW, blockedBy: [] });
      const lowered = await explain(h.alice, 'ws-viewer');
      expect(lowered.body).toMatchObject({ allowed: true, permissions: ['read'] });
      expect(lowered.body.blockedBy).toEqual([
        {
          kind: 'workspaceRoleLowered',
          subjectId: b.workspaceId,
          cause: causeOf('ws-viewer', 'MemberRoleChanged', h.olga),
          wouldGrant: {
            permissions: ['write'],
            reasons: [expect.objectContaining({ kind: 'workspace', role: 'member', permissions: RW })],
          },
        },
      ]);
      const removed = await explain(h.alice, 'ws-removed');
      expect(removed.body).toMatchObject({ allowed: false, permissions: [] });
      expect(removed.body.blockedBy).toEqual([
        {
          kind: 'workspaceMembershipRemoved',
          subjectId: b.workspaceId,
          cause: causeOf('ws-removed', 'WorkspaceMemberRemoved', h.olga),
          wouldGrant: {
            permissions: ['read'],
            reasons: [expect.objectContaining({ kind: 'workspace', role: 'viewer' })],
          },
        },
      ]);
    });

    it('an org role changed down, and an ACL entry shared again with a lower role', async () => {
      const adam = await explain(h.adam, 'org-demoted');
      expect(adam.body).toMatchObject({ allowed: false, permissions: [] });
      expect(adam.body.blockedBy).toEqual([
        {
          kind: 'orgRoleLowered',
          cause: causeOf('org-demoted', 'MemberRoleChanged', h.olga),
          wouldGrant: {
            permissions: ALL,
            reasons: [expect.objectContaining({ kind: 'orgRole', role: 'admin' })],
          },
        },
      ]);
      const mia = await explain(h.mia, 'mia-viewer');
      expect(mia.body).toMatchObject({ allowed: true, permissions: ['read'] });
      expect(mia.body.blockedBy).toEqual([
        {
          kind: 'aclRoleLowered',
          subjectId: h.mia.id,
          cause: causeOf('mia-viewer', 'ChatShared', h.olga),
          wouldGrant: {
            permissions: ['write'],
            reasons: [expect.objectContaining({ kind: 'direct', role: 'editor' })],
          },
        },
      ]);
      // By time as well as by position.
      const byTime = await audit(b.orgId, 'explain', {
        chatId: b.chatId,
        userId: h.mia.id,
        asOf: b.step('mia-viewer').occurredAt,
      });
      expect(byTime.body.blockedBy.map((x: { kind: string }) => x.kind)).toEqual(['aclRoleLowered']);
    });
  });
});

function pick(h: ScriptedHistory): Record<string, Person> {
  const { olga, adam, audrey, alice, bob, carol, mia } = h;
  return { olga, adam, audrey, alice, bob, carol, mia };
}

interface BlockerHistory {
  readonly orgId: string;
  readonly workspaceId: string;
  readonly chatId: string;
  readonly group1: string;
  readonly group2: string;
  step(label: string): Step;
}

/**
 * A second org of the same people, for the blockers the main script has no
 * step for: Olga owns org B, its workspace WB and chat CB in it; Adam is
 * admin; Alice, Bob, Carol and Mia are members; G1 holds Bob, G2 Carol.
 * share-g1 (viewer), unshare-g1; share-g2 (editor), delete-g2 (by Adam);
 * ws-member (Alice joins WB as member), ws-viewer (lowered), ws-removed;
 * org-demoted (Adam admin → member); mia-editor, mia-viewer (shared again lower).
 */
async function scriptBlockers(app: E2eApp, h: ScriptedHistory): Promise<BlockerHistory> {
  const call = async (who: Person, method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const answer = await app.request(method, path, {
      token: who.token,
      ...(body === undefined ? {} : { body }),
    });
    if (answer.status >= 300)
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer;
  };
  const org = await call(h.olga, 'POST', '/v1/orgs', { slug: `blockers-${Date.now()}`, name: 'B' });
  const orgId: string = org.body.org.id;
  const o = `/v1/orgs/${orgId}`;
  await call(h.olga, 'PUT', `${o}/members/${h.adam.id}`, { role: 'admin' });
  for (const who of [h.alice, h.bob, h.carol, h.mia]) {
    await call(h.olga, 'PUT', `${o}/members/${who.id}`, { role: 'member' });
  }
  const workspaceId: string = (
    await call(h.olga, 'POST', `${o}/workspaces`, { slug: 'w-blockers', name: 'WB' })
  ).body.workspace.id;
  const chatId: string = (await call(h.olga, 'POST', `${o}/chats`, { title: 'CB', workspaceId })).body.chat
    .id;
  const group1: string = (await call(h.olga, 'POST', `${o}/groups`, { name: 'G1' })).body.group.id;
  const group2: string = (await call(h.olga, 'POST', `${o}/groups`, { name: 'G2' })).body.group.id;
  await call(h.olga, 'PUT', `${o}/groups/${group1}/members/${h.bob.id}`);
  await call(h.olga, 'PUT', `${o}/groups/${group2}/members/${h.carol.id}`);

  const steps: Step[] = [];
  const at = async (label: string, answer: Promise<ApiAnswer>) => {
    const position = (await answer).headers.get('x-consistency-token')!;
    steps.push({ label, position, occurredAt: '' });
    await sleep(3);
  };
  const acl = `${o}/chats/${chatId}/acl`;
  const ws = `${o}/workspaces/${workspaceId}/members/${h.alice.id}`;
  await at('share-g1', call(h.olga, 'PATCH', acl, { groups: { [group1]: 'viewer' } }));
  await at('unshare-g1', call(h.olga, 'PATCH', acl, { groups: { [group1]: '' } }));
  await at('share-g2', call(h.olga, 'PATCH', acl, { groups: { [group2]: 'editor' } }));
  await at('delete-g2', call(h.adam, 'DELETE', `${o}/groups/${group2}`));
  await at('ws-member', call(h.olga, 'PUT', ws, { role: 'member' }));
  await at('ws-viewer', call(h.olga, 'PUT', ws, { role: 'viewer' }));
  await at('ws-removed', call(h.olga, 'DELETE', ws));
  await at('org-demoted', call(h.olga, 'PUT', `${o}/members/${h.adam.id}`, { role: 'member' }));
  await at('mia-editor', call(h.olga, 'PATCH', acl, { users: { [h.mia.id]: 'editor' } }));
  await at('mia-viewer', call(h.olga, 'PATCH', acl, { users: { [h.mia.id]: 'viewer' } }));

  const byPosition = new Map((await app.allEvents()).map((e) => [e.position as string, e]));
  const timed = steps.map((s) => ({ ...s, occurredAt: byPosition.get(s.position)!.metadata.occurredAt }));
  return {
    orgId,
    workspaceId,
    chatId,
    group1,
    group2,
    step: (label) => timed.find((s) => s.label === label)!,
  };
}
