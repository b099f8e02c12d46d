import { chatWorld, type ChatWorld, eventsOf, expectRefused, RANDOM_ID } from './support/chat-fixtures.js';
import { startE2eApp, type E2eApp } from './support/e2e-app.js';

describe('PATCH /v1/orgs/{org}/chats/{chatId}/acl (DESIGN.md §5 Chat, §10)', () => {
  let app: E2eApp;
  let w: ChatWorld;

  beforeAll(async () => {
    app = await startE2eApp();
    w = await chatWorld(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('adds, changes and removes entries, answering what changed, and appends one event per change', async () => {
    const chat = await w.chat(w.alice);
    const group = await w.createGroup([w.dave.id]);
    const first = await w.changeAcl(w.alice, chat, {
      users: { [w.bob.id]: 'viewer', [w.carol.id]: 'editor' },
      groups: { [group]: 'viewer' },
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-consistency-token')).toBe(first.body.position);
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    expect(first.body.changes).toEqual([
      ...[
        { kind: 'user', id: w.bob.id, role: 'viewer', previousRole: null },
        { kind: 'user', id: w.carol.id, role: 'editor', previousRole: null },
      ].sort(byId),
      { kind: 'group', id: group, role: 'viewer', previousRole: null },
    ]);
    const second = await w.changeAcl(w.alice, chat, {
      users: { [w.bob.id]: 'editor', [w.carol.id]: '' },
      groups: { [group]: 'viewer' }, // unchanged: left out
    });
    expect(second.status).toBe(200);
    expect(second.body.changes).toEqual(
      [
        { kind: 'user', id: w.bob.id, role: 'editor', previousRole: 'viewer' },
        { kind: 'user', id: w.carol.id, role: null, previousRole: 'editor' },
      ].sort(byId),
    );
    const events = (await eventsOf(app, `org-${w.orgId}/chat-${chat}`)).slice(1);
    // One event per change, in the answer's order (users, then groups, each by id).
    const changes = [...first.body.changes, ...second.body.changes];
    expect(events.map((e) => [e.type, (e.data as { subject: { id: string } }).subject.id])).toEqual(
      changes.map((c) => [c.role === null ? 'ChatUnshared' : 'ChatShared', c.id]),
    );
    expect(events.find((e) => e.type === 'ChatUnshared')!.data).toEqual({
      orgId: w.orgId,
      chatId: chat,
      subject: { kind: 'user', id: w.carol.id },
      previousRole: 'editor',
    });
    // The entries grant what they say: Bob (editor) posts, Dave (group viewer) reads but may not.
    expect((await w.post(w.bob, chat)).status).toBe(201);
    await expectRefused(app, () => w.post(w.dave, chat), 403);
    await expectRefused(app, () => w.post(w.carol, chat), 404);
  });

  it('answers 200 with no changes, appending nothing, for an empty or repeated change', async () => {
    const chat = await w.chat(w.alice);
    await w.share(chat, { [w.bob.id]: 'viewer' });
    for (const body of [{}, { users: {} }, { users: { [w.bob.id]: 'viewer' } }]) {
      const before = (await app.allEvents()).length;
      const answer = await w.changeAcl(w.alice, chat, body);
      expect(answer.status).toBe(200);
      expect(answer.body.changes).toEqual([]);
      expect((await app.allEvents()).length).toBe(before);
    }
  });

  it('is for those who may share (owner, org owner, org admin): an editor or viewer gets 403', async () => {
    const chat = await w.chat(w.alice);
    await w.share(chat, { [w.bob.id]: 'editor', [w.carol.id]: 'viewer' });
    for (const user of [w.bob, w.carol]) {
      const answer = await expectRefused(
        app,
        () => w.changeAcl(user, chat, { users: { [w.dave.id]: 'viewer' } }),
        403,
      );
      expect(answer.body.code).toBe('CHAT.FORBIDDEN');
    }
    await w.share(chat, { [w.dave.id]: 'viewer' }, {}, w.olga);
    await w.share(chat, { [w.dave.id]: 'editor' }, {}, w.adam);
    await expectRefused(app, () => w.changeAcl(w.dave, chat, { users: { [w.bob.id]: '' } }), 403);
  });

  it('answers 404 to whoever cannot read the chat', async () => {
    const chat = await w.chat(w.alice);
    const missing = await expectRefused(app, () => w.changeAcl(w.alice, RANDOM_ID, { users: {} }), 404);
    for (const user of [w.bob, w.audrey, w.eve]) {
      const answer = await expectRefused(
        app,
        () => w.changeAcl(user, chat, { users: { [user.id]: 'editor' } }),
        404,
      );
      expect(answer.body).toEqual(missing.body);
    }
  });

  describe('400 naming the entries at fault', () => {
    let chat: string;
    beforeAll(async () => {
      chat = await w.chat(w.alice);
    });

    it('one id given twice, in two cases (UUIDs are case-insensitive)', async () => {
      await expectRefused(
        app,
        () =>
          w.changeAcl(w.alice, chat, {
            users: { [w.dave.id.toUpperCase()]: 'viewer', [w.dave.id]: 'editor' },
          }),
        400,
        [`users.${w.dave.id}`],
      );
      const upper = await w.changeAcl(w.alice, chat, { users: { [w.dave.id.toUpperCase()]: 'viewer' } });
      expect(upper.body.changes).toEqual([
        { kind: 'user', id: w.dave.id, role: 'viewer', previousRole: null },
      ]);
    });

    it('keys that are not UUIDs and values that are not roles or ""', async () => {
      await expectRefused(
        app,
        () =>
          w.changeAcl(w.alice, chat, {
            users: { bob: 'viewer', [w.bob.id]: 'owner', [w.carol.id]: 'editor' },
            groups: { [RANDOM_ID]: null },
          }),
        400,
        ['users.bob', `users.${w.bob.id}`, `groups.${RANDOM_ID}`],
      );
    });

    it('unknown top-level fields, and maps that are not objects', async () => {
      await expectRefused(app, () => w.changeAcl(w.alice, chat, { members: {} }), 400, ['members']);
      await expectRefused(app, () => w.changeAcl(w.alice, chat, { users: [w.bob.id], groups: 'x' }), 400, [
        'users',
        'groups',
      ]);
      await expectRefused(app, () => w.changeAcl(w.alice, chat, { users: null }), 400, ['users']);
    });

    it('users who are not org members and groups not of the org, all at once', async () => {
      const stranger = await app.registerUser('stranger');
      const theirGroup = await w.createGroup([], w.elsewhere);
      const deleted = await w.createGroup([]);
      await w.deleteGroup(deleted);
      const answer = await expectRefused(
        app,
        () =>
          w.changeAcl(w.alice, chat, {
            users: { [stranger.id]: 'viewer', [w.eve.id]: 'editor', [w.bob.id]: 'viewer' },
            groups: { [theirGroup]: 'viewer', [deleted]: 'viewer', [RANDOM_ID]: 'editor' },
          }),
        400,
        [
          `users.${stranger.id}`,
          `users.${w.eve.id}`,
          `groups.${theirGroup}`,
          `groups.${deleted}`,
          `groups.${RANDOM_ID}`,
        ],
      );
      expect(answer.body.code).toBe('CHAT.UNKNOWN_SUBJECT');
    });

    it("one's own entry, even for an org owner", async () => {
      const answer = await expectRefused(
        app,
        () => w.changeAcl(w.alice, chat, { users: { [w.alice.id]: 'viewer' } }),
        400,
        [`users.${w.alice.id}`],
      );
      expect(answer.body.code).toBe('CHAT.OWN_ENTRY');
      await expectRefused(app, () => w.changeAcl(w.olga, chat, { users: { [w.olga.id]: 'editor' } }), 400, [
        `users.${w.olga.id}`,
      ]);
    });

    it('a change to a sub-chat, naming the root chat id', async () => {
      const sub = await w.chat(w.alice, { parentChatId: chat });
      const answer = await expectRefused(
        app,
        () => w.changeAcl(w.alice, sub, { users: { [w.bob.id]: 'viewer' } }),
        400,
        ['chatId'],
      );
      expect(answer.body.code).toBe('CHAT.SUBCHAT_ACL');
      expect(answer.body.errors[0].message).toContain(chat);
      expect(answer.body.detail).toContain(chat);
    });
  });

  it("lets a sub-chat inherit its root's ACL: a root editor posts in a sub-chat, a viewer may not", async () => {
    const root = await w.chat(w.alice);
    const sub = await w.chat(w.alice, { parentChatId: root });
    const subSub = await w.chat(w.alice, { parentChatId: sub });
    const editors = await w.createGroup([w.carol.id]);
    await w.share(root, { [w.bob.id]: 'editor', [w.dave.id]: 'viewer' }, { [editors]: 'editor' });
    for (const id of [sub, subSub]) {
      expect((await w.post(w.bob, id)).status).toBe(201);
      expect((await w.post(w.carol, id)).status).toBe(201);
      await expectRefused(app, () => w.post(w.dave, id), 403);
    }
    await w.share(root, { [w.bob.id]: '' });
    await expectRefused(app, () => w.post(w.bob, subSub), 404);
    // A deleted group grants nothing through its stored entry.
    await w.deleteGroup(editors);
    await expectRefused(app, () => w.post(w.carol, sub), 404);
  });

  describe('while chatSharingDisabled is on', () => {
    it('answers 403 to every change, keeps the stored entries inert, and counts them again when off', async () => {
      const chat = await w.chat(w.alice);
      await w.share(chat, { [w.bob.id]: 'editor' });
      await w.setChatSharingDisabled(true);
      try {
        for (const users of [{ [w.carol.id]: 'viewer' }, { [w.bob.id]: '' }]) {
          const answer = await expectRefused(app, () => w.changeAcl(w.alice, chat, { users }), 403);
          expect(answer.body.code).toBe('CHAT.SHARING_DISABLED');
        }
        await expectRefused(app, () => w.changeAcl(w.olga, chat, { users: { [w.carol.id]: 'viewer' } }), 403);
        await expectRefused(app, () => w.post(w.bob, chat), 404);
        expect((await w.post(w.alice, chat)).status).toBe(201);
      } finally {
        await w.setChatSharingDisabled(false);
      }
      expect((await w.post(w.bob, chat)).status).toBe(201);
    });
  });
});
