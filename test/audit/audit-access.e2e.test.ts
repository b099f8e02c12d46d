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

  it('lists every change of access to the chat in log order, with before, after and the causing event', async () => {
    const answer = await audit('access-changes', { chatId: h.chatId, from: h.beforeChat });
    expect(answer.status).toBe(200);
    const { alice, olga, adam, bob, carol } = h;
    const owners = [alice, olga, adam];
    const change = (label: string, who: { id: string }, before: string[], after: string[]) => ({
      label,
      userId: who.id,
      before,
      after,
    });
    const expected = [
      ...owners.map((who) => change('created', who, [], ALL)),
      change('t1', bob, [], ['read']),
      change('t2', carol, [], RW),
      change('t3', bob, ['read'], []),
      change('t3', carol, RW, []),
      change('t4', bob, [], ['read']),
      change('t4', carol, [], RW),
      change('t5', bob, ['read'], []),
      ...owners.map((who) => change('t6', who, ALL, ['read'])),
      change('t6', carol, RW, ['read']),
      ...owners.map((who) => change('t6u', who, ['read'], ALL)),
      change('t6u', carol, ['read'], RW),
      change('t8', carol, RW, []),
    ];
    const labelOf = new Map(h.steps.map((s) => [s.position, s.label]));
    const got = answer.body.items.map((item: any) => ({
      label: labelOf.get(item.event.position) ?? item.event.position,
      userId: item.userId,
      before: item.before,
      after: item.after,
    }));
    const order = (a: any, b: any) => (a.label + a.userId < b.label + b.userId ? -1 : 1);
    // Log order across events; within one event, by user id.
    expect(got.map((c: any) => c.label)).toEqual(expected.map((c) => c.label));
    expect([...got].sort(order)).toEqual([...expected].sort(order));
    const t8 = answer.body.items.find((i: any) => i.event.position === h.step('t8').position);
    expect(t8.event).toMatchObject({
      type: 'GroupMemberRemoved',
      actorId: h.olga.id,
      streamName: `org-${h.orgId}/group-${h.groupId}`,
    });

    // An interval by time: (t2, t5].
    const between = await audit('access-changes', {
      chatId: h.chatId,
      from: h.step('t2').occurredAt,
      to: h.step('t5').occurredAt,
    });
    expect(between.body.items.map((i: any) => [labelOf.get(i.event.position), i.userId])).toEqual(
      [
        ['t3', bob.id],
        ['t3', carol.id],
        ['t4', bob.id],
        ['t4', carol.id],
        ['t5', bob.id],
      ].sort((a, b) => (a[0]! === b[0]! ? (a[1]! < b[1]! ? -1 : 1) : a[0]! < b[0]! ? -1 : 1)),
    );
    // The sub-chat: created at t7 by Carol, inheriting C's access; deleted at t9.
    const sub = await audit('access-changes', { chatId: h.subChatId, from: h.step('t6u').position });
    expect(sub.body.items.map((i: any) => [labelOf.get(i.event.position), i.userId, i.after]).sort()).toEqual(
      [
        ...owners.map((who) => ['t7', who.id, ALL]),
        ['t7', carol.id, RW],
        ['t8', carol.id, []],
        ...owners.map((who) => ['t9', who.id, []]),
      ].sort(),
    );
    expectProblem(await audit('access-changes', { chatId: h.subChatId, to: h.step('t6').position }), 404);
    expectProblem(await audit('access-changes', { chatId: h.chatId, from: 'then' }), 400, ['from']);
  });

  it('pages access-changes and the users of access by cursor, each page sequence equal to the whole list', async () => {
    const pages = async (route: string, query: Record<string, string>, limit: string, listOf: string) => {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      let count = 0;
      do {
        const page = await audit(route, { ...query, limit, ...(cursor ? { cursor } : {}) });
        expect(page.status).toBe(200);
        expect(page.body[listOf].length).toBeLessThanOrEqual(Number(limit));
        seen.push(...page.body[listOf]);
        cursor = page.body.nextCursor;
        count++;
      } while (cursor !== null && count < 100);
      return { seen, count };
    };
    const changes = { chatId: h.chatId, from: h.beforeChat };
    const whole = await audit('access-changes', changes);
    expect(whole.body.nextCursor).toBeNull();
    expect(whole.body.items.length).toBeGreaterThan(10); // default limit 50: the whole script
    for (const limit of ['1', '2', '3', '7', '200']) {
      const { seen, count } = await pages('access-changes', changes, limit, 'items');
      expect({ limit, seen }).toEqual({ limit, seen: whole.body.items });
      expect(count).toBe(Math.max(1, Math.ceil(whole.body.items.length / Number(limit))));
    }
    // Within one event (t6 changed four users) a page may end between two users.
    const t6 = h.step('t6').position;
    const firstOfT6 = whole.body.items.findIndex((i: any) => i.event.position === t6);
    const cut = await audit('access-changes', { ...changes, limit: String(firstOfT6 + 2) });
    const rest = await audit('access-changes', { ...changes, cursor: cut.body.nextCursor });
    expect([...cut.body.items, ...rest.body.items]).toEqual(whole.body.items);
    expect(rest.body.items[0].event.position).toBe(t6);

    for (const asOf of [h.step('t2').position, h.step('t9').occurredAt]) {
      const all = await audit('access', { chatId: h.chatId, asOf });
      expect(all.body.nextCursor).toBeNull();
      const { seen } = await pages('access', { chatId: h.chatId, asOf }, '1', 'users');
      expect(seen).toEqual(all.body.users);
    }

    // Cursors are opaque and belong to their list: another list's, or none of ours, is a 400 naming it.
    const userAccessCursor = (
      await audit('user-access', { userId: h.alice.id, asOf: h.step('t8').position, limit: '1' })
    ).body.nextCursor;
    const accessCursor = (await audit('access', { chatId: h.chatId, limit: '1' })).body.nextCursor;
    for (const cursor of ['nonsense', userAccessCursor, accessCursor]) {
      expectProblem(await audit('access-changes', { ...changes, cursor }), 400, ['cursor']);
    }
    for (const cursor of ['nonsense', userAccessCursor]) {
      expectProblem(await audit('access', { chatId: h.chatId, cursor }), 400, ['cursor']);
    }
    expectProblem(await audit('user-access', { userId: h.alice.id, cursor: accessCursor }), 400, ['cursor']);
    for (const limit of ['0', '201', 'x']) {
      expectProblem(await audit('access-changes', { ...changes, limit }), 400, ['limit']);
      expectProblem(await audit('access', { chatId: h.chatId, limit }), 400, ['limit']);
    }
  });

  it('lists the chats a user could read at every step, with permissions and reasons, paginated', async () => {
    const readable = async (user: { id: string }, asOf: string) => {
      const answer = await audit('user-access', { userId: user.id, asOf });
      expect(answer.status).toBe(200);
      return Object.fromEntries(answer.body.items.map((i: any) => [i.chatId, i.permissions]));
    };
    const C = h.chatId;
    const S = h.subChatId;
    const expected: Record<string, Record<string, Record<string, string[]>>> = {
      created: { carol: {}, bob: {}, alice: { [C]: ALL } },
      t1: { carol: {}, bob: { [C]: ['read'] }, alice: { [C]: ALL } },
      t2: { carol: { [C]: RW }, bob: { [C]: ['read'] }, alice: { [C]: ALL } },
      t3: { carol: {}, bob: {}, alice: { [C]: ALL } },
      t4: { carol: { [C]: RW }, bob: { [C]: ['read'] }, alice: { [C]: ALL } },
      t5: { carol: { [C]: RW }, bob: {}, alice: { [C]: ALL } },
      t6: { carol: { [C]: ['read'] }, bob: {}, alice: { [C]: ['read'] } },
      t6u: { carol: { [C]: RW }, bob: {}, alice: { [C]: ALL } },
      t7: { carol: { [C]: RW, [S]: RW }, bob: {}, alice: { [C]: ALL, [S]: ALL } },
      t8: { carol: {}, bob: {}, alice: { [C]: ALL, [S]: ALL } },
      t9: { carol: {}, bob: {}, alice: { [C]: ALL } },
    };
    for (const step of h.steps) {
      const got = {
        carol: await readable(h.carol, step.position),
        bob: await readable(h.bob, step.position),
        alice: await readable(h.alice, step.occurredAt),
      };
      expect({ step: step.label, got }).toEqual({ step: step.label, got: expected[step.label] });
    }
    const t2 = await audit('user-access', { userId: h.carol.id, asOf: h.step('t2').position });
    expect(t2.body.items[0].reasons).toEqual([
      expect.objectContaining({
        kind: 'group',
        subjectId: h.groupId,
        event: expect.objectContaining({ position: h.step('t2').position }),
      }),
    ]);
    const first = await audit('user-access', { userId: h.alice.id, asOf: h.step('t8').position, limit: '1' });
    expect(first.body.items.map((i: any) => i.chatId)).toEqual([C]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await audit('user-access', {
      userId: h.alice.id,
      asOf: h.step('t8').position,
      limit: '1',
      cursor: first.body.nextCursor,
    });
    expect(second.body).toEqual({ items: [expect.objectContaining({ chatId: S })], nextCursor: null });
    expectProblem(await audit('user-access', { userId: h.alice.id, limit: '201' }), 400, ['limit']);
  });

  it('pages through the ACL history of the script, filtered by interval, resource, subject and actor', async () => {
    const labelOf = new Map(h.steps.map((s) => [s.position, s.label]));
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { from: h.beforeChat, limit: '3', ...(cursor ? { cursor } : {}) };
      const page = await audit('acl-events', query);
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all.map((e) => [labelOf.get(e.position), e.type])).toEqual([
      ['t1', 'ChatShared'],
      ['t2', 'ChatShared'],
      ['t3', 'OrgSettingsChanged'],
      ['t4', 'OrgSettingsChanged'],
      ['t5', 'OrgMemberRemoved'],
      ['t6', 'WorkspaceArchived'],
      ['t6u', 'WorkspaceUnarchived'],
      ['t8', 'GroupMemberRemoved'],
      ['t9', 'ChatDeleted'],
    ]);
    expect(all[4]).toEqual({
      position: h.step('t5').position,
      eventId: expect.any(String),
      type: 'OrgMemberRemoved',
      occurredAt: h.step('t5').occurredAt,
      actorId: h.adam.id,
      resource: { kind: 'org', id: h.orgId },
      subject: { kind: 'user', id: h.bob.id },
      before: { role: 'member' },
      after: null,
    });
    const types = async (query: Record<string, string>) =>
      (await audit('acl-events', query)).body.items.map((e: any) => labelOf.get(e.position) ?? e.type);
    expect(await types({ resource: h.chatId })).toEqual(['t1', 't2']);
    expect(await types({ subject: h.bob.id })).toEqual(['OrgMemberAdded', 't1', 't5']);
    expect(await types({ actor: h.adam.id })).toEqual(['t5']);
    expect(await types({ from: h.step('t2').occurredAt, to: h.step('t4').position })).toEqual(['t3', 't4']);
    expectProblem(await audit('acl-events', { resource: 'x' }), 400, ['resource']);
    expectProblem(await audit('acl-events', { to: 'soon' }), 400, ['to']);
  });

  describe('who may ask (DESIGN.md §11)', () => {
    const routes = (h: ScriptedHistory): Array<[string, Record<string, string>]> => [
      ['access', { chatId: h.chatId }],
      ['explain', { chatId: h.chatId, userId: h.bob.id }],
      ['access-changes', { chatId: h.chatId }],
      ['user-access', { userId: h.carol.id }],
      ['acl-events', {}],
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
        if (route === 'user-access') {
          // Carol is nobody in their org: nothing to read there, and nothing told about ours.
          expect({ status: theirs.status, body: theirs.body }).toEqual({
            status: 200,
            body: { items: [], nextCursor: null },
          });
        } else if (route === 'acl-events') {
          // Their own history only: their org's creation, nothing of ours.
          expect(theirs.status).toBe(200);
          expect(JSON.stringify(theirs.body)).not.toContain(h.orgId);
          expect(theirs.body.items.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([
            other.body.org.id,
          ]);
        } else {
          expect(theirs.status).toBe(query.chatId === 'bad' ? 400 : 404);
        }
      }
    });
  });
});
