import { chatWorld, type ChatWorld, eventsOf, expectRefused, RANDOM_ID } from './support/chat-fixtures.js';
import { OPERATOR_TOKEN, startE2eApp, type E2eApp } from './support/e2e-app.js';

describe('POST /v1/orgs/{org}/chats (DESIGN.md §5 Chat, §10)', () => {
  let app: E2eApp;
  let w: ChatWorld;

  beforeAll(async () => {
    app = await startE2eApp();
    w = await chatWorld(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('creates a root chat owned by its creator, answering the chat, its position and the token', async () => {
    const answer = await w.createChat(w.alice, { title: 'Launch' });
    expect(answer.status).toBe(201);
    const id = answer.body.chat.id;
    expect(answer.body).toEqual({
      chat: {
        id,
        title: 'Launch',
        ownerId: w.alice.id,
        createdById: w.alice.id,
        workspaceId: null,
        parentChatId: null,
        rootChatId: id,
      },
      position: expect.any(String),
    });
    expect(answer.headers.get('x-consistency-token')).toBe(answer.body.position);
    const events = await eventsOf(app, `org-${w.orgId}/chat-${id}`);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'ChatCreated',
        {
          orgId: w.orgId,
          chatId: id,
          title: 'Launch',
          ownerId: w.alice.id,
          workspaceId: null,
          parentChatId: null,
          rootChatId: id,
        },
      ],
    ]);
    expect(events[0]!.metadata).toMatchObject({ orgId: w.orgId, actorId: w.alice.id });
    expect(events[0]!.position).toBe(answer.body.position);
  });

  it('takes {org} as the slug too', async () => {
    const answer = await app.request('POST', `/v1/orgs/${w.slug}/chats`, {
      token: w.bob.token,
      body: { title: 'By slug' },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.chat.ownerId).toBe(w.bob.id);
  });

  it('is for owners, admins and members: an auditor gets 403', async () => {
    for (const user of [w.olga, w.adam, w.carol])
      expect((await w.createChat(user, { title: 'x' })).status).toBe(201);
    const answer = await expectRefused(app, () => w.createChat(w.audrey, { title: 'x' }), 403);
    expect(answer.body.code).toBe('CHAT.FORBIDDEN');
  });

  it('answers 404 to a non-member, to the operator, and for an org that does not exist, with one body', async () => {
    const outsider = await expectRefused(app, () => w.createChat(w.eve, { title: 'x' }), 404);
    const operator = await expectRefused(
      app,
      () => app.request('POST', w.path(), { token: OPERATOR_TOKEN, body: { title: 'x' } }),
      404,
    );
    const missing = await expectRefused(
      app,
      () => app.request('POST', w.path(undefined, RANDOM_ID), { token: w.alice.token, body: { title: 'x' } }),
      404,
    );
    expect(outsider.body).toEqual(missing.body);
    expect(operator.body).toEqual(missing.body);
  });

  it('refuses invalid bodies with 400 naming the fields', async () => {
    await expectRefused(app, () => w.createChat(w.alice, {}), 400, ['title']);
    await expectRefused(app, () => w.createChat(w.alice, { title: '   ' }), 400, ['title']);
    await expectRefused(app, () => w.createChat(w.alice, { title: 'x'.repeat(201) }), 400, ['title']);
    await expectRefused(app, () => w.createChat(w.alice, { title: 'x', owner: w.bob.id }), 400, ['owner']);
    await expectRefused(
      app,
      () => w.createChat(w.alice, { title: 'x', workspaceId: 'nope', parentChatId: null }),
      400,
      ['workspaceId', 'parentChatId'],
    );
  });

  describe('in a workspace', () => {
    it('creates a chat in a workspace the creator may write to (member, or org admin)', async () => {
      const ws = await w.createWorkspace({ [w.bob.id]: 'member' });
      const answer = await w.createChat(w.bob, { title: 'In ws', workspaceId: ws.toUpperCase() });
      expect(answer.status).toBe(201);
      expect(answer.body.chat).toMatchObject({ workspaceId: ws, parentChatId: null });
      expect((await w.createChat(w.adam, { title: 'Admin', workspaceId: ws })).status).toBe(201);
    });

    it('answers 403 to a workspace viewer', async () => {
      const ws = await w.createWorkspace({ [w.bob.id]: 'viewer' });
      const answer = await expectRefused(
        app,
        () => w.createChat(w.bob, { title: 'x', workspaceId: ws }),
        403,
      );
      expect(answer.body.code).toBe('CHAT.FORBIDDEN');
    });

    it('answers 400 naming workspaceId for a missing workspace, or one the creator cannot see', async () => {
      const hidden = await w.createWorkspace();
      for (const workspaceId of [RANDOM_ID, hidden]) {
        const answer = await expectRefused(app, () => w.createChat(w.bob, { title: 'x', workspaceId }), 400, [
          'workspaceId',
        ]);
        expect(answer.body.code).toBe('CHAT.UNKNOWN_WORKSPACE');
      }
    });

    it("answers 400 for another org's workspace id, as for a missing one", async () => {
      // A workspace of this org, named under Eve's org: it loads as absent there.
      const ws = await w.createWorkspace();
      const answer = await expectRefused(
        app,
        () =>
          app.request('POST', w.path(undefined, w.elsewhere), {
            token: w.eve.token,
            body: { title: 'x', workspaceId: ws },
          }),
        400,
        ['workspaceId'],
      );
      expect(answer.body.code).toBe('CHAT.UNKNOWN_WORKSPACE');
    });

    it('answers 410 in an archived workspace, even to its members', async () => {
      const ws = await w.createWorkspace({ [w.bob.id]: 'member', [w.carol.id]: 'viewer' });
      await w.archiveWorkspace(ws);
      for (const user of [w.alice, w.bob, w.carol, w.olga]) {
        const answer = await expectRefused(
          app,
          () => w.createChat(user, { title: 'x', workspaceId: ws }),
          410,
        );
        expect(answer.body.code).toBe('WORKSPACE.ARCHIVED');
      }
    });
  });

  describe('sub-chats', () => {
    it('are created by whoever may write on the parent, under its root and in its workspace', async () => {
      const ws = await w.createWorkspace();
      const root = await w.chat(w.alice, { workspaceId: ws });
      await w.share(root, { [w.bob.id]: 'editor' });
      const sub = await w.createChat(w.bob, { title: 'Sub', parentChatId: root });
      expect(sub.status).toBe(201);
      // The root's owner owns the tree (DESIGN.md §5 rule 2); Bob created the sub-chat.
      expect(sub.body.chat).toMatchObject({
        ownerId: w.alice.id,
        createdById: w.bob.id,
        parentChatId: root,
        rootChatId: root,
        workspaceId: ws,
      });
      const subSub = await w.createChat(w.bob, { title: 'Sub-sub', parentChatId: sub.body.chat.id });
      expect(subSub.body.chat).toMatchObject({
        parentChatId: sub.body.chat.id,
        rootChatId: root,
        workspaceId: ws,
      });
      const events = await eventsOf(app, `org-${w.orgId}/chat-${subSub.body.chat.id}`);
      expect(events[0]!.data).toMatchObject({
        parentChatId: sub.body.chat.id,
        rootChatId: root,
        workspaceId: ws,
      });
    });

    it('answer 403 to a parent viewer, and 400 naming parentChatId to whoever cannot read it', async () => {
      const root = await w.chat(w.alice);
      await w.share(root, { [w.bob.id]: 'viewer' });
      const viewer = await expectRefused(
        app,
        () => w.createChat(w.bob, { title: 'x', parentChatId: root }),
        403,
      );
      expect(viewer.body.code).toBe('CHAT.FORBIDDEN');
      for (const parentChatId of [root, RANDOM_ID]) {
        const answer = await expectRefused(
          app,
          () => w.createChat(w.carol, { title: 'x', parentChatId }),
          400,
          ['parentChatId'],
        );
        expect(answer.body.code).toBe('CHAT.UNKNOWN_PARENT');
      }
    });

    it("refuse a deleted parent, a parent under a deleted chat, and another org's chat (400)", async () => {
      const root = await w.chat(w.alice);
      const sub = await w.chat(w.alice, { parentChatId: root });
      const gone = await w.chat(w.alice);
      expect((await w.remove(w.alice, gone)).status).toBe(204);
      expect((await w.remove(w.alice, root)).status).toBe(204);
      for (const parentChatId of [gone, root, sub]) {
        await expectRefused(app, () => w.createChat(w.alice, { title: 'x', parentChatId }), 400, [
          'parentChatId',
        ]);
      }
      const theirs = await app.request('POST', w.path(undefined, w.elsewhere), {
        token: w.eve.token,
        body: { title: 'Eve' },
      });
      await expectRefused(
        app,
        () => w.createChat(w.olga, { title: 'x', parentChatId: theirs.body.chat.id }),
        400,
        ['parentChatId'],
      );
    });

    it('take no workspaceId of their own (400 naming it)', async () => {
      const ws = await w.createWorkspace();
      const root = await w.chat(w.alice, { workspaceId: ws });
      const answer = await expectRefused(
        app,
        () => w.createChat(w.alice, { title: 'x', parentChatId: root, workspaceId: ws }),
        400,
        ['workspaceId'],
      );
      expect(answer.body.code).toBe('CHAT.SUBCHAT_WORKSPACE');
    });

    it('answer 410 under a root in an archived workspace', async () => {
      const ws = await w.createWorkspace();
      const root = await w.chat(w.alice, { workspaceId: ws });
      await w.archiveWorkspace(ws);
      await expectRefused(app, () => w.createChat(w.alice, { title: 'x', parentChatId: root }), 410);
    });
  });
});
