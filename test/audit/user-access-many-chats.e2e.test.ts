import { atPosition, replayOrg } from '../../libs/audit/index.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type ApiAnswer, type E2eApp, startE2eApp } from '../e2e/support/e2e-app.js';

/**
 * GET …/audit/user-access over more chats than it decides between two turns
 * of the event loop (libs/audit/org-replay.ts CHATS_PER_YIELD, 256): every
 * page is right on both sides of a yield, and the pages together are the
 * chats the user can read, in creation order. And the whole-org replay
 * behind it leaves the chats' messages out of its read.
 */
describe('GET /v1/orgs/{org}/audit/user-access in an org of many chats', () => {
  const CHATS = 300;
  let app: E2eApp;
  let owner: { id: string; token: string };
  let bob: { id: string; token: string };
  let orgId: string;
  let chatIds: string[];

  beforeAll(async () => {
    app = await startE2eApp();
    owner = await app.registerUser('owner');
    bob = await app.registerUser('bob');
    const call = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
      const answer = await app.request(method, path, { token: owner.token, ...(body ? { body } : {}) });
      if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status}`);
      return answer;
    };
    orgId = (await call('POST', '/v1/orgs', { slug: `many-${Date.now()}`, name: 'Many' })).body.org.id;
    await call('PUT', `/v1/orgs/${orgId}/members/${bob.id}`, { role: 'member' });
    chatIds = [];
    for (let i = 0; i < CHATS; i++) {
      chatIds.push((await call('POST', `/v1/orgs/${orgId}/chats`, { title: `c${i}` })).body.chat.id);
    }
    // Bob reads every seventh chat, the last one among them shared past the first yield.
    for (let i = 0; i < CHATS; i += 7) {
      await call('PATCH', `/v1/orgs/${orgId}/chats/${chatIds[i]}/acl`, { users: { [bob.id]: 'viewer' } });
    }
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  async function allPages(userId: string, limit: number): Promise<{ chats: string[]; pages: number }> {
    const chats: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { userId, limit: String(limit), ...(cursor ? { cursor } : {}) };
      const answer = await app.request(
        'GET',
        `/v1/orgs/${orgId}/audit/user-access?${new URLSearchParams(query)}`,
        {
          token: owner.token,
        },
      );
      expect(answer.status).toBe(200);
      chats.push(...answer.body.items.map((item: { chatId: string }) => item.chatId));
      cursor = answer.body.nextCursor;
      pages++;
    } while (cursor !== null);
    return { chats, pages };
  }

  it('replays the org without reading a single message', async () => {
    for (let i = 0; i < 20; i++) {
      const posted = await app.request('POST', `/v1/orgs/${orgId}/chats/${chatIds[0]}/messages`, {
        token: owner.token,
        body: { body: `m${i}` },
      });
      expect(posted.status).toBe(201);
    }
    const orgEvents = (await app.allEvents()).filter((e) =>
      e.streamName.startsWith(streams.tenantPrefix(orgId)),
    );
    const messages = orgEvents.filter((e) => e.streamName.endsWith('/messages'));
    expect(messages).toHaveLength(20);
    const read: string[] = [];
    const world = await replayOrg(
      app.eventStore,
      upcasters,
      orgId,
      atPosition(orgEvents.at(-1)!.position),
      (e) => read.push(e.streamName),
    );
    expect(read).toHaveLength(orgEvents.length - messages.length);
    expect(read.filter((name) => name.endsWith('/messages'))).toEqual([]);
    expect(world.chats.size).toBe(CHATS);
  });

  it("pages through a member's few chats among many, and an owner's every chat", async () => {
    const bobs = chatIds.filter((_, i) => i % 7 === 0);
    expect(await allPages(bob.id, 10)).toEqual({ chats: bobs, pages: Math.ceil(bobs.length / 10) });
    expect(await allPages(owner.id, 200)).toEqual({ chats: chatIds, pages: 2 });
  });
});
