import { chatWorld, type ChatWorld } from './support/chat-fixtures.js';
import { startE2eApp, type E2eApp } from './support/e2e-app.js';

/**
 * Who owns a sub-chat (DESIGN.md §5 Chat): its root's owner, whom rule 2
 * gives everything on the tree; `createdBy` names who created the sub-chat.
 * The same in every answer that describes a chat: the command's, the chat,
 * the list.
 */
describe("a sub-chat's owner is its root's owner; createdBy names its creator", () => {
  let app: E2eApp;
  let w: ChatWorld;
  let root: string;

  beforeAll(async () => {
    app = await startE2eApp();
    w = await chatWorld(app);
    // Alice (a member) owns the root; Adam administers the org, Bob edits the root.
    root = await w.chat(w.alice, { title: "Alice's plans" });
    await w.share(root, { [w.bob.id]: 'editor' });
  });
  afterAll(async () => {
    await app?.close();
  });

  const ALL = ['read', 'write', 'share', 'delete'];
  const get = (token: string, path: string) => app.request('GET', path, { token });

  it("when an admin creates a sub-chat of a member's chat: in its POST and PATCH answers, GET and the list", async () => {
    const created = await w.createChat(w.adam, { title: 'Adam under Alice', parentChatId: root });
    expect(created.status).toBe(201);
    const sub = created.body.chat.id;
    expect(created.body.chat).toEqual({
      id: sub,
      title: 'Adam under Alice',
      ownerId: w.alice.id,
      createdById: w.adam.id,
      workspaceId: null,
      parentChatId: root,
      rootChatId: root,
    });

    const renamed = await w.rename(w.adam, sub, 'Renamed by Adam');
    expect(renamed.status).toBe(200);
    expect(renamed.body.chat).toMatchObject({ ownerId: w.alice.id, createdById: w.adam.id });

    const alice = { id: w.alice.id, displayName: 'alice' };
    const adam = { id: w.adam.id, displayName: 'adam' };
    for (const user of [w.alice, w.adam, w.bob]) {
      const answer = await get(user.token, w.path(sub));
      expect(answer.status).toBe(200);
      expect(answer.body.chat).toMatchObject({ owner: alice, createdBy: adam });
    }
    // The owner shown is the one who holds every right on it.
    expect((await get(w.alice.token, w.path(sub))).body.chat.permissions).toEqual(ALL);

    const listed = await get(w.alice.token, w.path());
    expect(listed.status).toBe(200);
    const items = listed.body.items.filter((item: { rootChatId: string }) => item.rootChatId === root);
    expect(items.map((item: any) => [item.id, item.owner, item.createdBy])).toEqual([
      [root, alice, alice],
      [sub, alice, adam],
    ]);

    // Ids and display names only, never an email.
    const emails = await Promise.all(
      [w.alice, w.adam].map(
        async (user) => (await get(user.token, '/v1/users/me')).body.user.email as string,
      ),
    );
    for (const answer of [created, renamed, await get(w.bob.token, w.path(sub)), listed]) {
      const text = JSON.stringify(answer.body);
      for (const email of emails) expect(text).not.toContain(email);
      expect(text).not.toContain('@');
    }
  });

  it("at every depth: a sub-chat of a sub-chat is owned by the root's owner too", async () => {
    const sub = await w.chat(w.adam, { title: 'Level 1', parentChatId: root });
    const subSub = await w.createChat(w.bob, { title: 'Level 2', parentChatId: sub });
    expect(subSub.status).toBe(201);
    expect(subSub.body.chat).toMatchObject({ ownerId: w.alice.id, createdById: w.bob.id, rootChatId: root });

    const answer = await get(w.bob.token, w.path(subSub.body.chat.id));
    expect(answer.body.chat).toMatchObject({
      owner: { id: w.alice.id, displayName: 'alice' },
      createdBy: { id: w.bob.id, displayName: 'bob' },
      parentChatId: sub,
    });
    const listed = await get(w.bob.token, `${w.path()}?limit=200`);
    expect(listed.body.items.find((item: { id: string }) => item.id === subSub.body.chat.id)).toMatchObject({
      owner: { id: w.alice.id, displayName: 'alice' },
      createdBy: { id: w.bob.id, displayName: 'bob' },
    });
  });
});
