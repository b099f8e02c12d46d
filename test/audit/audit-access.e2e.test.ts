import { expectProblem, OPERATOR_TOKEN, startE2eApp, type E2eApp } from '../e2e/support/e2e-app.js';
import { type ScriptedHistory, scriptHistory } from './scripted-history.js';

const ALL = ['read', 'write', 'share', 'delete'];
const RW = ['read', 'write'];

/**
 * Who could do what on C right after each step (DESIGN.md §5 applied by hand
 * to the script of scripted-history.ts). Users absent from a row hold nothing.
 */
function expectedOnC(h: ScriptedHistory): Record<string, Record<string, string[]>> {
  const owners = { [h.alice.id]: ALL, [h.olga.id]: ALL, [h.adam.id]: ALL };
  return {
    created: owners,
    t1: { ...owners, [h.bob.id]: ['read'] },
    t2: { ...owners, [h.bob.id]: ['read'], [h.carol.id]: RW },
    t3: owners,
    t4: { ...owners, [h.bob.id]: ['read'], [h.carol.id]: RW },
    t5: { ...owners, [h.carol.id]: RW },
    t6: { [h.alice.id]: ['read'], [h.olga.id]: ['read'], [h.adam.id]: ['read'], [h.carol.id]: ['read'] },
    t6u: { ...owners, [h.carol.id]: RW },
    t7: { ...owners, [h.carol.id]: RW },
    t8: owners,
    t9: owners,
  };
}

describe('GET /v1/orgs/{org}/audit/access and /explain: the past, replayed (DESIGN.md §9)', () => {
  let app: E2eApp;
  let h: ScriptedHistory;

  beforeAll(async () => {
    app = await startE2eApp();
    h = await scriptHistory(app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  const audit = (route: string, query: Record<string, string>, token = h.audrey.token) =>
    app.request('GET', `/v1/orgs/${h.orgId}/audit/${route}?${new URLSearchParams(query)}`, { token });
  const permissionsOf = (body: { users: Array<{ userId: string; permissions: string[] }> }) =>
    Object.fromEntries(body.users.map((u) => [u.userId, u.permissions]));

  it('answers who could do what on the chat right after every step, by position and by time', async () => {
    const expected = expectedOnC(h);
    for (const step of h.steps) {
      for (const asOf of [step.position, step.occurredAt]) {
        const answer = await audit('access', { chatId: h.chatId, asOf });
        expect({ step: step.label, asOf, status: answer.status }).toEqual({
          step: step.label,
          asOf,
          status: 200,
        });
        expect({ step: step.label, access: permissionsOf(answer.body) }).toEqual({
          step: step.label,
          access: expected[step.label],
        });
      }
    }
  });

  it('answers for a sub-chat from its root, and 404 before it existed and after it was deleted', async () => {
    const expected = expectedOnC(h);
    for (const step of h.steps) {
      const answer = await audit('access', { chatId: h.subChatId, asOf: step.position });
      if (['t7', 't8'].includes(step.label)) {
        expect(answer.status).toBe(200);
        expect(answer.body.rootChatId).toBe(h.chatId);
        expect(permissionsOf(answer.body)).toEqual(expected[step.label]);
      } else {
        expect({ step: step.label, status: answer.status }).toEqual({ step: step.label, status: 404 });
      }
    }
    expectProblem(await audit('access', { chatId: h.chatId, asOf: h.beforeChat }), 404);
  });

  it('names the reasons: kind, role, the event (id, position, time) and its actor', async () => {
    const t2 = await audit('access', { chatId: h.chatId, asOf: h.step('t2').position });
    const user = (id: string) => t2.body.users.find((u: { userId: string }) => u.userId === id);
    expect(user(h.bob.id).reasons).toEqual([
      {
        kind: 'direct',
        role: 'viewer',
        permissions: ['read'],
        event: {
          eventId: expect.any(String),
          position: h.step('t1').position,
          occurredAt: h.step('t1').occurredAt,
          actorId: h.alice.id,
        },
      },
    ]);
    expect(user(h.carol.id).reasons).toEqual([
      {
        kind: 'group',
        role: 'editor',
        subjectId: h.groupId,
        permissions: RW,
        event: expect.objectContaining({ position: h.step('t2').position, actorId: h.alice.id }),
        membership: expect.objectContaining({ position: h.beforeChat, actorId: h.olga.id }),
      },
    ]);
    expect(user(h.alice.id).reasons.map((r: { kind: string }) => r.kind)).toEqual(['owner', 'workspace']);
    expect(user(h.alice.id).reasons[0].event.position).toBe(h.step('created').position);
    expect(user(h.olga.id).reasons).toEqual([
      expect.objectContaining({ kind: 'orgRole', role: 'owner', permissions: ALL }),
    ]);
    const t6 = await audit('access', { chatId: h.chatId, asOf: h.step('t6').position });
    for (const u of t6.body.users) {
      expect(u.writeBlocked).toEqual({
        kind: 'workspaceArchived',
        event: expect.objectContaining({ position: h.step('t6').position, actorId: h.alice.id }),
      });
    }
  });

  it('defaults asOf to now, and answers 400 naming asOf or chatId when they are malformed', async () => {
    const now = await audit('access', { chatId: h.chatId });
    expect(now.status).toBe(200);
    expect(permissionsOf(now.body)).toEqual(expectedOnC(h).t9);
    for (const asOf of ['yesterday', '2026-13-45T00:00:00Z', '00-00', '2026-01-01T00:00:00']) {
      expectProblem(await audit('access', { chatId: h.chatId, asOf }), 400, ['asOf']);
    }
    expectProblem(await audit('access', { chatId: 'nope' }), 400, ['chatId']);
    expectProblem(await audit('access', {}), 400, ['chatId']);
    expectProblem(await audit('explain', { chatId: h.chatId, userId: 'x' }), 400, ['userId']);
  });

  it('explains a denial by sharing switched off: what would grant, the switch, its position and actor', async () => {
    for (const [user, grant, kind] of [
      [h.bob, ['read'], 'direct'],
      [h.carol, RW, 'group'],
    ] as const) {
      const answer = await audit('explain', {
        chatId: h.chatId,
        userId: user.id,
        asOf: h.step('t3').position,
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ userId: user.id, allowed: false, permissions: [], reasons: [] });
      expect(answer.body.blockedBy).toEqual([
        {
          kind: 'chatSharingDisabled',
          cause: expect.objectContaining({
            type: 'OrgSettingsChanged',
            position: h.step('t3').position,
            actorId: h.olga.id,
          }),
          wouldGrant: { permissions: grant, reasons: [expect.objectContaining({ kind })] },
        },
      ]);
    }
  });

  it('explains a denial by removal from the org, from a group, and a write withheld by the archive', async () => {
    const bob = await audit('explain', { chatId: h.chatId, userId: h.bob.id, asOf: h.step('t5').position });
    expect(bob.body.allowed).toBe(false);
    expect(bob.body.blockedBy).toEqual([
      {
        kind: 'notOrgMember',
        cause: expect.objectContaining({
          type: 'OrgMemberRemoved',
          position: h.step('t5').position,
          actorId: h.adam.id,
        }),
        wouldGrant: {
          permissions: ['read'],
          reasons: [expect.objectContaining({ kind: 'direct', role: 'viewer' })],
        },
      },
    ]);
    const carol6 = await audit('explain', {
      chatId: h.chatId,
      userId: h.carol.id,
      asOf: h.step('t6').position,
    });
    expect(carol6.body).toMatchObject({ allowed: true, permissions: ['read'] });
    expect(carol6.body.blockedBy).toEqual([
      {
        kind: 'workspaceArchived',
        cause: expect.objectContaining({
          type: 'WorkspaceArchived',
          position: h.step('t6').position,
          actorId: h.alice.id,
        }),
        // The reasons as they would read unarchived: the group entry would grant write again.
        wouldGrant: {
          permissions: ['write'],
          reasons: [expect.objectContaining({ kind: 'group', subjectId: h.groupId, permissions: RW })],
        },
      },
    ]);
    const carol8 = await audit('explain', {
      chatId: h.chatId,
      userId: h.carol.id,
      asOf: h.step('t8').position,
    });
    expect(carol8.body.allowed).toBe(false);
    expect(carol8.body.blockedBy).toEqual([
      {
        kind: 'groupMembershipRemoved',
        subjectId: h.groupId,
        cause: expect.objectContaining({
          type: 'GroupMemberRemoved',
          position: h.step('t8').position,
          actorId: h.olga.id,
        }),
        wouldGrant: {
          permissions: RW,
          reasons: [expect.objectContaining({ kind: 'group', subjectId: h.groupId })],
        },
      },
    ]);
    const granted = await audit('explain', {
      chatId: h.chatId,
      userId: h.carol.id,
      asOf: h.step('t4').position,
    });
    expect(granted.body).toMatchObject({ allowed: true, permissions: RW, blockedBy: [] });
    const nobody = await audit('explain', {
      chatId: h.chatId,
      userId: h.mia.id,
      asOf: h.step('t4').position,
    });
    expect(nobody.body).toMatchObject({ allowed: false, permissions: [], reasons: [], blockedBy: [] });
  });

  describe('who may ask (DESIGN.md §11)', () => {
    const routes = (h: ScriptedHistory): Array<[string, Record<string, string>]> => [
      ['access', { chatId: h.chatId }],
      ['explain', { chatId: h.chatId, userId: h.bob.id }],
    ];

    it('auditors, owners and admins may; members get 403', async () => {
      for (const [route, query] of routes(h)) {
        for (const who of [h.audrey, h.olga, h.adam])
          expect((await audit(route, query, who.token)).status).toBe(200);
        for (const who of [h.mia, h.alice, h.carol]) {
          const answer = expectProblem(await audit(route, query, who.token), 403);
          expect(answer.body.code).toBe('AUDIT.FORBIDDEN');
        }
      }
    });

    it('non-members, former members, other tenants and the operator get 404, even with malformed parameters', async () => {
      const other = await app.request('POST', '/v1/orgs', {
        token: h.outsider.token,
        body: { slug: `other-${Date.now()}`, name: 'Other' },
      });
      for (const [route, query] of [
        ...routes(h),
        ['access', { chatId: 'bad' }] as [string, Record<string, string>],
      ]) {
        for (const token of [h.outsider.token, h.bob.token, OPERATOR_TOKEN]) {
          expectProblem(await audit(route, query, token), 404);
        }
        // The outsider audits their own org: our chat is not theirs.
        const theirs = await app.request(
          'GET',
          `/v1/orgs/${other.body.org.id}/audit/${route}?${new URLSearchParams(query)}`,
          { token: h.outsider.token },
        );
        expect(theirs.status).toBe(route === 'access' && query.chatId === 'bad' ? 400 : 404);
      }
    });
  });
});
