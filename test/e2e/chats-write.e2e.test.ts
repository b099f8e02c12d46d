import {
  chatWorld,
  type ChatWorld,
  eventsOf,
  expectRefused,
  RANDOM_ID,
  type TestUser,
} from './support/chat-fixtures.js';
import { type ApiAnswer, OPERATOR_TOKEN, startE2eApp, type E2eApp } from './support/e2e-app.js';

/**
 * Renaming, deleting and posting, by who may do them (DESIGN.md §5 Effective
 * access and HTTP status rules). One chat in a workspace, reached every way
 * libs/authz grants: ownership, org role, direct entry, group entry and
 * workspace membership.
 */
describe('writes on a chat: PATCH, DELETE, POST …/messages', () => {
  let app: E2eApp;
  let w: ChatWorld;
  let vera: TestUser; // direct viewer
  let walt: TestUser; // workspace viewer
  let ws: string;
  let chat: string;

  beforeAll(async () => {
    app = await startE2eApp();
    w = await chatWorld(app);
    [vera, walt] = await Promise.all([app.registerUser('vera'), app.registerUser('walt')]);
    await w.setOrgRole(vera.id, 'member');
    await w.setOrgRole(walt.id, 'member');
    ws = await w.createWorkspace({ [w.dave.id]: 'member', [walt.id]: 'viewer' });
    chat = await w.chat(w.alice, { workspaceId: ws });
    const editors = await w.createGroup([w.carol.id]);
    await w.share(chat, { [w.bob.id]: 'editor', [vera.id]: 'viewer' }, { [editors]: 'editor' });
  });
  afterAll(async () => {
    await app?.close();
  });

  const writers = () =>
    [
      ['the owner', w.alice],
      ['an org owner', w.olga],
      ['an org admin', w.adam],
      ['a direct editor', w.bob],
      ['a group editor', w.carol],
      ['a workspace member', w.dave],
    ] as const;

  it('lets everyone with write post (201) and rename (200), and appends their events', async () => {
    for (const [who, user] of writers()) {
      const posted = await w.post(user, chat, { body: `hello from ${who}` });
      expect({ who, status: posted.status }).toEqual({ who, status: 201 });
      expect(posted.body).toEqual({
        message: { id: expect.any(String), chatId: chat, authorId: user.id, body: `hello from ${who}` },
        position: expect.any(String),
      });
      expect(posted.headers.get('x-consistency-token')).toBe(posted.body.position);
      const renamed = await w.rename(user, chat, `Renamed by ${who}`);
      expect({ who, status: renamed.status }).toEqual({ who, status: 200 });
      expect(renamed.body.chat).toMatchObject({ id: chat, title: `Renamed by ${who}`, ownerId: w.alice.id });
      expect(renamed.headers.get('x-consistency-token')).toBe(renamed.body.position);
    }
    const messages = await eventsOf(app, `org-${w.orgId}/chat-${chat}/messages`);
    expect(messages.map((e) => e.data)).toEqual(
      writers().map(([who, user]) => ({
        orgId: w.orgId,
        chatId: chat,
        messageId: expect.any(String),
        authorId: user.id,
        body: `hello from ${who}`,
      })),
    );
    const chatStream = await eventsOf(app, `org-${w.orgId}/chat-${chat}`);
    expect(chatStream.map((e) => e.type)).not.toContain('ChatMessagePosted');
    expect(chatStream.at(-1)).toMatchObject({
      type: 'ChatRenamed',
      data: { title: 'Renamed by a workspace member', previousTitle: 'Renamed by a group editor' },
    });
  });

  it('renaming to the current title answers 200 and appends nothing', async () => {
    await w.rename(w.alice, chat, 'Same');
    const before = (await app.allEvents()).length;
    const again = await w.rename(w.alice, chat, 'Same');
    expect(again.status).toBe(200);
    expect(again.body.chat.title).toBe('Same');
    expect((await app.allEvents()).length).toBe(before);
  });

  it('answers 403 to readers without write: a direct viewer, a workspace viewer', async () => {
    for (const user of [vera, walt]) {
      expect((await expectRefused(app, () => w.post(user, chat), 403)).body.code).toBe('CHAT.FORBIDDEN');
      await expectRefused(app, () => w.rename(user, chat), 403);
      await expectRefused(app, () => w.remove(user, chat), 403);
    }
  });

  it('lets only the owner and org owners/admins delete: editors get 403', async () => {
    for (const [, user] of writers().slice(3)) await expectRefused(app, () => w.remove(user, chat), 403);
    for (const user of [w.alice, w.olga, w.adam]) {
      const victim = await w.chat(w.alice, { workspaceId: ws });
      const answer = await w.remove(user, victim);
      expect(answer.status).toBe(204);
      expect(answer.body).toBeUndefined();
      const events = await eventsOf(app, `org-${w.orgId}/chat-${victim}`);
      expect(events.map((e) => [e.type, e.data])).toEqual([
        ['ChatCreated', expect.anything()],
        ['ChatDeleted', { orgId: w.orgId, chatId: victim }],
      ]);
      expect(answer.headers.get('x-consistency-token')).toBe(events[1]!.position);
    }
  });

  describe('404 for whoever cannot read it, with the body of a missing chat', () => {
    const routes = (user: { token: string }, path: string): Array<() => Promise<ApiAnswer>> => [
      () => app.request('POST', `${path}/messages`, { token: user.token, body: { body: 'hi' } }),
      () => app.request('PATCH', path, { token: user.token, body: { title: 'x' } }),
      () => app.request('DELETE', path, { token: user.token }),
      () => app.request('PATCH', `${path}/acl`, { token: user.token, body: { users: {} } }),
    ];

    it('an org member it is not shared with, an auditor, a non-member, the operator, another tenant', async () => {
      const missing = await expectRefused(app, routes(w.alice, w.path(RANDOM_ID))[0]!, 404);
      const callers = [
        [w.audrey, w.path(chat)],
        [w.eve, w.path(chat)],
        [{ token: OPERATOR_TOKEN }, w.path(chat)],
        // Eve asks in her own org: the chat id is another tenant's.
        [w.eve, w.path(chat, w.elsewhere)],
      ] as const;
      const outsider = await app.registerUser('outsider');
      await w.setOrgRole(outsider.id, 'member');
      for (const [user, path] of [...callers, [outsider, w.path(chat)] as const]) {
        for (const route of routes(user, path)) {
          expect((await expectRefused(app, route, 404)).body).toEqual(missing.body);
        }
      }
    });

    it('a deleted chat, on every route, even for its owner; and its sub-chats with it', async () => {
      const root = await w.chat(w.alice);
      const sub = await w.chat(w.alice, { parentChatId: root });
      const missing = await expectRefused(app, routes(w.alice, w.path(RANDOM_ID))[1]!, 404);
      expect((await w.remove(w.alice, root)).status).toBe(204);
      for (const id of [root, sub]) {
        for (const user of [w.alice, w.olga]) {
          for (const route of routes(user, w.path(id))) {
            expect((await expectRefused(app, route, 404)).body).toEqual(missing.body);
          }
        }
      }
    });

    it('a member removed from the org loses access', async () => {
      const leaver = await app.registerUser('leaver');
      await w.setOrgRole(leaver.id, 'member');
      const own = await w.chat(leaver);
      expect((await w.post(leaver, own)).status).toBe(201);
      await w.removeFromOrg(leaver.id);
      await expectRefused(app, () => w.post(leaver, own), 404);
    });
  });

  it('answers 400 naming chatId for a chat id that is not a UUID', async () => {
    await expectRefused(app, () => w.post(w.alice, 'nope'), 400, ['chatId']);
    await expectRefused(app, () => w.rename(w.alice, 'nope'), 400, ['chatId']);
    await expectRefused(app, () => w.remove(w.alice, 'nope'), 400, ['chatId']);
  });

  it('refuses a bad title with 400 naming it', async () => {
    await expectRefused(app, () => w.rename(w.alice, chat, ''), 400, ['title']);
    await expectRefused(app, () => w.rename(w.alice, chat, 42), 400, ['title']);
    await expectRefused(
      app,
      () => app.request('PATCH', w.path(chat), { token: w.alice.token, body: { title: 'x', ownerId: 'y' } }),
      400,
      ['ownerId'],
    );
  });

  describe('in an archived workspace', () => {
    it('answers 410 to every reader, before 403, for posting, renaming, deleting and sharing', async () => {
      const archived = await w.createWorkspace({ [w.dave.id]: 'member', [walt.id]: 'viewer' });
      const inIt = await w.chat(w.alice, { workspaceId: archived });
      await w.share(inIt, { [w.bob.id]: 'editor', [vera.id]: 'viewer' });
      await w.archiveWorkspace(archived);
      for (const user of [w.alice, w.olga, w.bob, w.dave, vera, walt]) {
        const answer = await expectRefused(app, () => w.post(user, inIt), 410);
        expect(answer.body.code).toBe('WORKSPACE.ARCHIVED');
        await expectRefused(app, () => w.rename(user, inIt), 410);
      }
      await expectRefused(app, () => w.remove(w.alice, inIt), 410);
      await expectRefused(app, () => w.changeAcl(w.alice, inIt, { users: { [w.carol.id]: 'viewer' } }), 410);
      // Who cannot read it still gets 404.
      await expectRefused(app, () => w.post(w.carol, inIt), 404);
    });
  });
});
