import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { AggregateStore } from '../../libs/command-runtime/index.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { chatWorld, type ChatWorld, eventsOf, expectRefused } from './support/chat-fixtures.js';
import { startE2eApp, type E2eApp } from './support/e2e-app.js';

describe('POST /v1/orgs/{org}/chats/{chatId}/messages (DESIGN.md §5 Chat, §10)', () => {
  let app: E2eApp;
  let w: ChatWorld;
  let chat: string;

  beforeAll(async () => {
    app = await startE2eApp();
    w = await chatWorld(app);
    chat = await w.chat(w.alice);
  });
  afterAll(async () => {
    await app?.close();
  });

  const messagesStream = (chatId: string) => `org-${w.orgId}/chat-${chatId}/messages`;

  it("appends ChatMessagePosted to the chat's messages stream, stored as sent", async () => {
    const body = '  Ship on Friday?\n';
    const answer = await w.post(w.alice, chat, { body });
    expect(answer.status).toBe(201);
    const [event] = (await eventsOf(app, messagesStream(chat))).slice(-1);
    expect(event).toMatchObject({
      type: 'ChatMessagePosted',
      position: answer.body.position,
      data: { orgId: w.orgId, chatId: chat, messageId: answer.body.message.id, authorId: w.alice.id, body },
      metadata: { orgId: w.orgId, actorId: w.alice.id },
    });
    expect(answer.body.message.body).toBe(body);
  });

  describe('body length: 1 to 16 000 characters, counted as Unicode code points', () => {
    it('accepts 1 and 16 000 characters', async () => {
      for (const body of ['x', 'x'.repeat(16_000)]) {
        const answer = await w.post(w.alice, chat, { body });
        expect(answer.status).toBe(201);
        expect(answer.body.message.body).toHaveLength(body.length);
      }
    });

    it('counts an emoji as one character: 16 000 of them (32 000 UTF-16 units) are accepted', async () => {
      const body = '🙂'.repeat(16_000);
      expect((await w.post(w.alice, chat, { body })).status).toBe(201);
      await expectRefused(app, () => w.post(w.alice, chat, { body: `${body}🙂` }), 400, ['body']);
    });

    it('refuses 0 and 16 001 characters, white space only, and a body that is not a string', async () => {
      for (const body of ['', '   \n\t', 'x'.repeat(16_001), 42, null, ['x']]) {
        await expectRefused(app, () => w.post(w.alice, chat, { body }), 400, ['body']);
      }
      await expectRefused(app, () => w.post(w.alice, chat, {}), 400, ['body']);
      await expectRefused(app, () => w.post(w.alice, chat, { body: 'x', authorId: w.bob.id }), 400, [
        'authorId',
      ]);
    });
  });

  it('never reads the messages stream, and reads as many streams for the 30th post as for the 1st', async () => {
    const busy = await w.chat(w.alice);
    await w.share(busy, { [w.bob.id]: 'editor' });
    const readStream = jest.spyOn(app.eventStore, 'readStream');
    try {
      const readsPerPost: number[] = [];
      for (let i = 0; i < 30; i++) {
        readStream.mockClear();
        expect((await w.post(w.bob, busy, { body: `message ${i}` })).status).toBe(201);
        readsPerPost.push(readStream.mock.calls.length);
        const streamsRead = readStream.mock.calls.map(([name]) => name);
        expect(streamsRead).toContain(`org-${w.orgId}/chat-${busy}`);
        expect(streamsRead).not.toContain(messagesStream(busy));
      }
      expect(new Set(readsPerPost).size).toBe(1);
    } finally {
      readStream.mockRestore();
    }
    expect(await eventsOf(app, messagesStream(busy))).toHaveLength(30);
  });

  it('leaves the chat stream untouched: ChatMessagePosted only in the messages stream', async () => {
    const quiet = await w.chat(w.alice);
    for (let i = 0; i < 3; i++) await w.post(w.alice, quiet);
    expect((await eventsOf(app, `org-${w.orgId}/chat-${quiet}`)).map((e) => e.type)).toEqual(['ChatCreated']);
    expect(await eventsOf(app, messagesStream(quiet))).toHaveLength(3);
  });

  it('answers a logged 500, appending nothing, when the facts contradict each other (a sub-chat whose root is missing)', async () => {
    const aggregates = new AggregateStore(app.eventStore, upcasters);
    const orphan = randomUUID();
    const missingRoot = randomUUID();
    const context = {
      actorId: w.alice.id,
      correlationId: randomUUID(),
      causationId: randomUUID(),
      now: new Date(),
    };
    const data = { orgId: w.orgId, chatId: orphan, title: 'Orphan', ownerId: w.alice.id, workspaceId: null };
    await app.eventStore.append(
      `org-${w.orgId}/chat-${orphan}`,
      aggregates.envelope(
        [{ type: 'ChatCreated', data: { ...data, parentChatId: missingRoot, rootChatId: missingRoot } }],
        context,
        w.orgId,
      ),
      'no_stream',
    );
    const answer = await expectRefused(app, () => w.post(w.alice, orphan), 500);
    expect(answer.body.detail).not.toContain(missingRoot);
    expect(app.logs.some((line) => line.includes('AccessFactsError') && line.includes(missingRoot))).toBe(
      true,
    );
  });
});
