import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chatWorld, type ChatWorld, RANDOM_ID, type TestUser } from '../e2e/support/chat-fixtures.js';
import {
  type ApiAnswer,
  type E2eApp,
  expectProblem,
  OPERATOR_TOKEN,
  startE2eApp,
} from '../e2e/support/e2e-app.js';

/**
 * The chat read routes (DESIGN.md §5 Chat and HTTP status rules, §7, §10):
 * what each caller sees, what nobody sees (other people's chats, emails,
 * member lists), and that a list hands out every readable chat exactly once.
 */
describe('chat reads: GET …/chats, …/chats/{chatId}, …/messages, …/acl', () => {
  let app: E2eApp;
  let w: ChatWorld;

  beforeAll(async () => {
    app = await startE2eApp();
    w = await chatWorld(app);
    await app.catchUp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const ALL = ['read', 'write', 'share', 'delete'];
  const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const READ_ROUTES = ['', '/messages', '/acl'];
  const get = (user: { token: string }, path: string) => app.request('GET', path, { token: user.token });
  const emailOf = async (user: TestUser): Promise<string> =>
    (await get(user, '/v1/users/me')).body.user.email;

  /** Every page of a list, `limit` at a time; each page but the last is full, and nothing comes twice. */
  async function walk(user: { token: string }, path: string, limit = 2): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    for (let pages = 1; ; pages++) {
      const query = `${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const answer: ApiAnswer = await get(user, path + query);
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(['items', 'nextCursor']);
      cursor = answer.body.nextCursor;
      if (cursor !== null) expect(answer.body.items).toHaveLength(limit);
      else if (pages > 1) expect(answer.body.items.length).toBeGreaterThan(0);
      items.push(...answer.body.items);
      if (cursor === null) break;
      if (pages > 50) throw new Error(`${path}: more than 50 pages`);
    }
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
    return items;
  }

  describe('GET /v1/orgs/{org}/chats', () => {
    // A world of its own, so every list is known exactly.
    let lw: ChatWorld;
    let ws: string;
    type Name = 'c0' | 'c1' | 'c2' | 'c3' | 'c4' | 'b1' | 'a1' | 'sub' | 'g1' | 'inWs' | 'gone' | 'wsSub';
    const ids = {} as Record<Name, string>;
    let created: string[]; // every chat of the org, oldest first

    beforeAll(async () => {
      lw = await chatWorld(app);
      ws = await lw.createWorkspace({ [lw.bob.id]: 'viewer' });
      const bobs = await lw.createGroup([lw.bob.id]);
      const carols = async (name: Name) => (ids[name] = await lw.chat(lw.carol, { title: 'Carol only' }));
      // Chats Bob cannot read sit between those he can: a page filtered after its LIMIT comes up short.
      await carols('c0');
      ids.b1 = await lw.chat(lw.bob, { title: 'Bob own' });
      await carols('c1');
      await carols('c2');
      ids.a1 = await lw.chat(lw.alice, { title: 'Shared' });
      await lw.share(ids.a1, { [lw.bob.id]: 'viewer' });
      ids.sub = await lw.chat(lw.alice, { title: 'Sub', parentChatId: ids.a1 });
      await carols('c3');
      ids.g1 = await lw.chat(lw.dave, { title: 'Group' });
      await lw.share(ids.g1, {}, { [bobs]: 'editor' }, lw.dave);
      ids.inWs = await lw.chat(lw.alice, { title: 'Workspace', workspaceId: ws });
      ids.gone = await lw.chat(lw.alice, { title: 'Gone' });
      await lw.share(ids.gone, { [lw.bob.id]: 'editor' });
      ids.wsSub = await lw.chat(lw.alice, { title: 'Workspace sub', parentChatId: ids.inWs });
      expect((await lw.remove(lw.alice, ids.gone)).status).toBe(204);
      await carols('c4');
      const order: Name[] = ['c0', 'b1', 'c1', 'c2', 'a1', 'sub', 'c3', 'g1', 'inWs', 'wsSub', 'c4'];
      created = order.map((name) => ids[name]);
    });

    it('walks every readable chat exactly once across pages of 2, oldest first, and no other', async () => {
      const bob = await walk(lw.bob, lw.path());
      expect(bob.map((item) => [item.id, item.permissions])).toEqual([
        [ids.b1, ALL],
        [ids.a1, ['read']],
        [ids.sub, ['read']],
        [ids.g1, ['read', 'write']],
        [ids.inWs, ['read']],
        [ids.wsSub, ['read']],
      ]);
      expect(bob.find((item) => item.id === ids.wsSub)).toEqual({
        id: ids.wsSub,
        title: 'Workspace sub',
        owner: { id: lw.alice.id, displayName: 'alice' },
        createdBy: { id: lw.alice.id, displayName: 'alice' },
        rootChatId: ids.inWs,
        parentChatId: ids.inWs,
        workspaceId: ws,
        createdAt: ISO,
        permissions: ['read'],
      });
      const carol = await walk(lw.carol, lw.path());
      expect(carol.map((item) => [item.id, item.permissions])).toEqual(
        (['c0', 'c1', 'c2', 'c3', 'c4'] as const).map((name) => [ids[name], ALL]),
      );
      // The org owner reads every chat but the deleted one, five full pages and one more.
      expect((await walk(lw.olga, lw.path())).map((item) => item.id)).toEqual(created);
      expect((await walk(lw.adam, lw.path(), 3)).map((item) => item.id)).toEqual(created);
    });

    it('answers an auditor, who reads no chat through the role, an empty list', async () => {
      const answer = await get(lw.audrey, lw.path());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ items: [], nextCursor: null });
    });

    it('?workspaceId= keeps the chats of that workspace, sub-chats included', async () => {
      const inWs = [ids.inWs, ids.wsSub];
      for (const user of [lw.bob, lw.olga, lw.alice]) {
        expect((await walk(user, `${lw.path()}?workspaceId=${ws}`)).map((item) => item.id)).toEqual(inWs);
      }
      const upper = await walk(lw.bob, `${lw.path()}?workspaceId=${ws.toUpperCase()}`, 1);
      expect(upper.map((item) => item.id)).toEqual(inWs);
      expect((await get(lw.carol, `${lw.path()}?workspaceId=${ws}`)).body).toEqual({
        items: [],
        nextCursor: null,
      });
      expect((await get(lw.olga, `${lw.path()}?workspaceId=${RANDOM_ID}`)).body.items).toEqual([]);
    });

    it('answers 400 naming workspaceId, limit or cursor when they are malformed', async () => {
      for (const query of ['workspaceId=nope', 'workspaceId=', `workspaceId=${ws}&workspaceId=${ws}`]) {
        expectProblem(await get(lw.olga, `${lw.path()}?${query}`), 400, ['workspaceId']);
      }
      for (const limit of ['0', '201', 'x', '-1']) {
        expectProblem(await get(lw.olga, `${lw.path()}?limit=${limit}`), 400, ['limit']);
      }
      expectProblem(await get(lw.olga, `${lw.path()}?cursor=not-a-cursor`), 400, ['cursor']);
      expect((await get(lw.olga, `${lw.path()}?limit=200`)).body.items).toHaveLength(created.length);
    });

    it("answers 404 to non-members and the operator; a member of two orgs sees each org's chats in its own list", async () => {
      const outsider = await app.registerUser('outsider');
      for (const user of [lw.eve, outsider, { token: OPERATOR_TOKEN }]) {
        expectProblem(await get(user, lw.path()), 404);
      }
      const hers = await app.request('POST', lw.path(undefined, lw.elsewhere), {
        token: lw.eve.token,
        body: { title: 'Eve at home' },
      });
      expect(hers.status).toBe(201);
      await lw.setOrgRole(lw.eve.id, 'member');
      await lw.share(ids.a1, { [lw.eve.id]: 'viewer' });
      const listed = async (org: string) =>
        (await walk(lw.eve, lw.path(undefined, org))).map((item) => item.id);
      expect(await listed(lw.elsewhere)).toEqual([hers.body.chat.id]);
      expect(await listed(lw.orgId)).toEqual([ids.a1, ids.sub]);
    });
  });

  describe('GET /v1/orgs/{org}/chats/{chatId}', () => {
    let ws: string;
    let root: string;
    let sub: string;

    beforeAll(async () => {
      ws = await w.createWorkspace({ [w.dave.id]: 'member' });
      root = await w.chat(w.alice, { title: 'Roadmap', workspaceId: ws });
      await w.share(root, { [w.bob.id]: 'viewer' });
      sub = await w.chat(w.dave, { title: 'Details', parentChatId: root });
    });

    it("answers the chat with its owner's display name, never an email, and the caller's permissions", async () => {
      const answer = await get(w.alice, w.path(root));
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        chat: {
          id: root,
          title: 'Roadmap',
          owner: { id: w.alice.id, displayName: 'alice' },
          createdBy: { id: w.alice.id, displayName: 'alice' },
          rootChatId: root,
          parentChatId: null,
          workspaceId: ws,
          createdAt: ISO,
          permissions: ALL,
          writeBlocked: false,
        },
      });
      expect((await get(w.alice, w.path(root.toUpperCase(), w.slug))).body).toEqual(answer.body);
      const seen = [answer];
      for (const [user, permissions] of [
        [w.olga, ALL],
        [w.bob, ['read']],
        [w.dave, ['read', 'write']],
      ] as const) {
        const other = await get(user, w.path(root));
        expect(other.body.chat.permissions).toEqual(permissions);
        seen.push(other);
      }
      // A sub-chat: the root's workspace, and the root's owner, who holds every right on the tree
      // (rule 2); its creator is createdBy, which grants nothing of its own.
      const subAnswer = await get(w.dave, w.path(sub));
      expect(subAnswer.body.chat).toEqual({
        id: sub,
        title: 'Details',
        owner: { id: w.alice.id, displayName: 'alice' },
        createdBy: { id: w.dave.id, displayName: 'dave' },
        rootChatId: root,
        parentChatId: root,
        workspaceId: ws,
        createdAt: ISO,
        permissions: ['read', 'write'],
        writeBlocked: false,
      });
      seen.push(subAnswer, await get(w.bob, w.path(sub)));
      const emails = [await emailOf(w.alice), await emailOf(w.dave)];
      expect(emails.every((email) => email.includes('@'))).toBe(true);
      for (const { body } of seen) {
        const text = JSON.stringify(body);
        for (const email of emails) expect(text).not.toContain(email);
        expect(text).not.toContain('@');
      }
    });

    it('answers 404 with the body of a missing chat, on every read route, to whoever cannot read it', async () => {
      const outsider = await app.registerUser('outsider');
      const leaver = await app.registerUser('leaver');
      await w.setOrgRole(leaver.id, 'member');
      const own = await w.chat(leaver, { title: 'Mine until I leave' });
      await w.removeFromOrg(leaver.id);
      await app.catchUp();
      const cases: Array<[string, { token: string }, string]> = [
        ['a member it is not shared with', w.carol, w.path(root)],
        ['the auditor', w.audrey, w.path(root)],
        ['a registered non-member', outsider, w.path(root)],
        ['the operator', { token: OPERATOR_TOKEN }, w.path(root)],
        ["another tenant's user", w.eve, w.path(root)],
        ["another tenant's user, in her own org", w.eve, w.path(root, w.elsewhere)],
        ['a member it is not shared with, on a sub-chat', w.carol, w.path(sub)],
        ['the owner, after leaving the org', leaver, w.path(own)],
      ];
      for (const route of READ_ROUTES) {
        const missing = expectProblem(await get(w.alice, w.path(RANDOM_ID) + route), 404);
        for (const [who, user, path] of cases) {
          const { status, body } = await get(user, path + route);
          expect([who, route, status, body]).toEqual([who, route, 404, missing.body]);
        }
      }
    });

    it('answers 404 for a deleted chat and its sub-chats on every read route, even to its owner', async () => {
      const doomed = await w.chat(w.alice, { title: 'Doomed' });
      await w.share(doomed, { [w.bob.id]: 'editor' });
      const child = await w.chat(w.bob, { parentChatId: doomed });
      expect((await w.post(w.bob, child)).status).toBe(201);
      expect((await get(w.bob, `${w.path(child)}/messages`)).body.items).toHaveLength(1);
      expect((await w.remove(w.alice, doomed)).status).toBe(204);
      for (const route of READ_ROUTES) {
        const missing = expectProblem(await get(w.alice, w.path(RANDOM_ID) + route), 404);
        for (const user of [w.alice, w.olga, w.bob]) {
          for (const id of [doomed, child]) {
            const answer = expectProblem(await get(user, w.path(id) + route), 404);
            expect(answer.body).toEqual(missing.body);
          }
        }
      }
    });

    it('answers 400 naming chatId for a chat id that is not a UUID, on every read route', async () => {
      for (const route of READ_ROUTES) {
        expectProblem(await get(w.alice, w.path('not-a-uuid') + route), 400, ['chatId']);
      }
    });

    it('keeps a chat of an archived workspace readable, read-only, with writeBlocked true', async () => {
      const archived = await w.createWorkspace({ [w.dave.id]: 'member' });
      const chat = await w.chat(w.alice, { title: 'Old', workspaceId: archived });
      await w.share(chat, { [w.bob.id]: 'viewer' });
      expect((await w.post(w.dave, chat)).status).toBe(201);
      expect((await get(w.dave, w.path(chat))).body.chat).toMatchObject({
        permissions: ['read', 'write'],
        writeBlocked: false,
      });
      await w.archiveWorkspace(archived);
      await app.catchUp();
      for (const user of [w.alice, w.olga, w.dave, w.bob]) {
        const answer = await get(user, w.path(chat));
        expect(answer.status).toBe(200);
        expect(answer.body.chat).toMatchObject({ id: chat, permissions: ['read'], writeBlocked: true });
        expect((await get(user, `${w.path(chat)}/messages`)).body.items).toHaveLength(1);
        expect((await get(user, `${w.path(chat)}/acl`)).status).toBe(200);
      }
      const listed = await get(w.dave, `${w.path()}?workspaceId=${archived}`);
      expect(listed.body.items.map((item: any) => [item.id, item.permissions])).toEqual([[chat, ['read']]]);
      expectProblem(await get(w.carol, w.path(chat)), 404);
    });
  });

  describe('GET …/chats/{chatId}/messages', () => {
    it('pages through every message oldest first, to any reader, a viewer included', async () => {
      const chat = await w.chat(w.alice, { title: 'Talk' });
      const other = await w.chat(w.alice, { title: 'Other talk' });
      await w.share(chat, { [w.bob.id]: 'editor', [w.carol.id]: 'viewer' });
      const authors = [w.alice, w.bob, w.alice, w.bob, w.alice];
      for (const [i, author] of authors.entries()) {
        expect((await w.post(author, chat, { body: `m${i}` })).status).toBe(201);
        if (i === 2) expect((await w.post(w.alice, other, { body: 'not here' })).status).toBe(201);
      }
      const readers = [[w.carol, 2] as const, [w.bob, 5] as const, [w.olga, 200] as const];
      for (const [reader, limit] of readers) {
        const items = await walk(reader, `${w.path(chat)}/messages`, limit);
        expect(items).toEqual(
          authors.map((author, i) => ({
            id: expect.any(String),
            author: { id: author.id, displayName: author === w.alice ? 'alice' : 'bob' },
            body: `m${i}`,
            postedAt: ISO,
          })),
        );
        const times = items.map((item) => item.postedAt);
        expect([...times].sort()).toEqual(times);
        expect(JSON.stringify(items)).not.toContain('@');
      }
      expectProblem(await get(w.carol, `${w.path(chat)}/messages?limit=0`), 400, ['limit']);
      expectProblem(await get(w.dave, `${w.path(chat)}/messages`), 404);
    });
  });

  describe('GET …/chats/{chatId}/acl', () => {
    let root: string;
    let sub: string;
    let subSub: string;
    let acl: { users: unknown[]; groups: unknown[] };
    const aclOf = (inheritedFrom: string | null, sharingDisabled: boolean) => ({
      ...acl,
      inheritedFrom,
      sharingDisabled,
    });

    beforeAll(async () => {
      root = await w.chat(w.alice, { title: 'Shared widely' });
      const team = await w.createGroup([w.dave.id, w.carol.id]);
      await w.share(root, { [w.carol.id]: 'viewer', [w.bob.id]: 'editor' }, { [team]: 'viewer' });
      sub = await w.chat(w.alice, { parentChatId: root });
      subSub = await w.chat(w.bob, { parentChatId: sub });
      acl = {
        users: [
          { id: w.bob.id, displayName: 'bob', role: 'editor' },
          { id: w.carol.id, displayName: 'carol', role: 'viewer' },
        ],
        groups: [{ id: team, name: expect.stringMatching(/^group \d+$/), memberCount: 2, role: 'viewer' }],
      };
    });

    it('lists users by display name and groups with member counts: no member lists, no emails', async () => {
      const emails = await Promise.all([w.alice, w.bob, w.carol, w.dave].map(emailOf));
      for (const reader of [w.alice, w.bob, w.carol, w.dave, w.adam]) {
        const answer = await get(reader, `${w.path(root)}/acl`);
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual(aclOf(null, false));
        const text = JSON.stringify(answer.body);
        // Dave is in the ACL only through the group: his id would appear only in a member list.
        expect(text).not.toContain(w.dave.id);
        for (const email of emails) expect(text).not.toContain(email);
        expect(text).not.toContain('@');
      }
    });

    it("shows a sub-chat the root's ACL, with inheritedFrom naming the root", async () => {
      for (const id of [sub, subSub]) {
        const answer = await get(w.carol, `${w.path(id)}/acl`);
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual(aclOf(root, false));
      }
    });

    it('while chat sharing is disabled, shows the stored entries with sharingDisabled true, and they grant nothing', async () => {
      await w.setChatSharingDisabled(true);
      try {
        await app.catchUp();
        expect((await get(w.alice, `${w.path(root)}/acl`)).body).toEqual(aclOf(null, true));
        expect((await get(w.olga, `${w.path(sub)}/acl`)).body).toEqual(aclOf(root, true));
        for (const user of [w.bob, w.carol, w.dave]) {
          expectProblem(await get(user, `${w.path(root)}/acl`), 404);
        }
      } finally {
        await w.setChatSharingDisabled(false);
        await app.catchUp();
      }
      expect((await get(w.bob, `${w.path(root)}/acl`)).body).toEqual(aclOf(null, false));
    });
  });

  describe('consistency tokens (DESIGN.md §7)', () => {
    it("a read with a share's token sees the grant; one with an unshare's token is denied", async () => {
      const chat = await w.chat(w.alice, { title: 'Now you see it' });
      expect((await w.post(w.alice, chat)).status).toBe(201);
      const changeAcl = (role: string) =>
        app.request('PATCH', `${w.path(chat)}/acl`, {
          token: w.alice.token,
          consistent: false,
          body: { users: { [w.carol.id]: role } },
        });
      const readAt = (position: string, path: string) =>
        app.request('GET', path, {
          token: w.carol.token,
          consistent: false,
          headers: { 'x-consistency-token': position },
        });
      const listedAt = async (position: string) =>
        (await readAt(position, `${w.path()}?limit=200`)).body.items.some((item: any) => item.id === chat);

      const share = await changeAcl('viewer');
      expect(share.status).toBe(200);
      const granted = share.headers.get('x-consistency-token')!;
      for (const route of READ_ROUTES) expect((await readAt(granted, w.path(chat) + route)).status).toBe(200);
      expect(await listedAt(granted)).toBe(true);

      const unshare = await changeAcl('');
      expect(unshare.status).toBe(200);
      const revoked = unshare.headers.get('x-consistency-token')!;
      expect(revoked > granted).toBe(true);
      for (const route of READ_ROUTES) expectProblem(await readAt(revoked, w.path(chat) + route), 404);
      expect(await listedAt(revoked)).toBe(false);
    });
  });
});
