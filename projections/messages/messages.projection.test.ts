import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChatMessagePosted } from '../../libs/domain/chat/chat.events.js';
import { streams } from '../../libs/domain/streams.js';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { installStandIns, type StandIns } from '../chats/testing/read-model-stand-ins.js';
import { type Page } from '../page.js';
import { MESSAGES_TABLE, messagesProjection } from './messages.projection.js';
import { listMessages, type MessageView } from './messages.queries.js';

let h: ProjectionHarness;
let standIns: StandIns;

beforeAll(async () => {
  h = await startProjectionHarness([messagesProjection]);
  standIns = await installStandIns(h.database.ownerPool);
});
afterAll(() => h.close());

/** Posts each body as its own append, as separate commands would; returns their positions. */
async function post(orgId: string, chatId: string, authorId: string, ...bodies: string[]): Promise<string[]> {
  const positions: string[] = [];
  for (const body of bodies) {
    const event: ChatMessagePosted = {
      type: 'ChatMessagePosted',
      data: { orgId, chatId, messageId: randomUUID(), authorId, body },
    };
    positions.push(await h.append(streams.chatMessages(orgId, chatId), [event], orgId));
  }
  await h.project();
  return positions;
}

const list = (orgId: string, chatId: string, limit: number, after: string | null = null) =>
  h.read({ orgId }, (client) => listMessages(client, orgId, chatId, { limit, after }));

async function allPages(orgId: string, chatId: string, limit: number): Promise<Array<Page<MessageView>>> {
  const pages: Array<Page<MessageView>> = [];
  let after: string | null = null;
  do {
    const page: Page<MessageView> = await list(orgId, chatId, limit, after);
    pages.push(page);
    after = page.next;
  } while (after !== null);
  return pages;
}

describe('ChatMessagePosted', () => {
  it("records the message at its event's position and time, with its author's display name and never the email", async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    const author = { id: randomUUID(), email: `${randomUUID()}@example.test`, displayName: 'Alice' };
    await standIns.user(author);
    const before = Date.now();
    const [position] = await post(orgId, chatId, author.id, 'hello');

    const page = await list(orgId, chatId, 50);
    expect(page).toEqual({
      items: [
        {
          id: expect.any(String),
          author: { id: author.id, displayName: 'Alice' },
          body: 'hello',
          postedAt: expect.any(String),
        },
      ],
      next: null,
    });
    const postedAt = Date.parse(page.items[0]!.postedAt);
    expect(postedAt).toBeGreaterThanOrEqual(before - 1);
    expect(postedAt).toBeLessThanOrEqual(Date.now());
    expect(JSON.stringify(page)).not.toContain(author.email);
    const stored = await h.read(
      { orgId },
      async (client) => (await client.query(`SELECT position FROM ${MESSAGES_TABLE}`)).rows,
    );
    expect(stored).toEqual([{ position }]);
  });

  it('ignores every other event', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    await h.append(
      streams.chat(orgId, chatId),
      [
        {
          type: 'ChatCreated',
          data: {
            orgId,
            chatId,
            title: 't',
            ownerId: randomUUID(),
            workspaceId: null,
            parentChatId: null,
            rootChatId: chatId,
          },
        },
      ],
      orgId,
    );
    await h.project();
    expect(await list(orgId, chatId, 50)).toEqual({ items: [], next: null });
  });
});

describe('a batch of messages', () => {
  it('stores each under its own org, in log order, when the orgs interleave in one batch', async () => {
    const orgs = [randomUUID(), randomUUID()];
    const chats = [randomUUID(), randomUUID()];
    const author = randomUUID();
    const bodies: string[][] = [[], []];
    for (let i = 0; i < 10; i++) {
      const k = i % 2;
      const body = `org ${k} message ${i}`;
      bodies[k]!.push(body);
      const event: ChatMessagePosted = {
        type: 'ChatMessagePosted',
        data: { orgId: orgs[k]!, chatId: chats[k]!, messageId: randomUUID(), authorId: author, body },
      };
      await h.append(streams.chatMessages(orgs[k]!, chats[k]!), [event], orgs[k]!);
    }
    await h.project();

    for (const k of [0, 1]) {
      const page = await list(orgs[k]!, chats[k]!, 50);
      expect(page.items.map((item) => item.body)).toEqual(bodies[k]);
    }
  });
});

describe('listMessages', () => {
  it('pages oldest first without skipping or repeating, and the last page has no next', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    const bodies = Array.from({ length: 7 }, (_, i) => `message ${i}`);
    await post(orgId, chatId, randomUUID(), ...bodies);
    await post(orgId, randomUUID(), randomUUID(), 'in another chat');

    const pages = await allPages(orgId, chatId, 3);
    expect(pages.map((page) => page.items.length)).toEqual([3, 3, 1]);
    expect(pages.flatMap((page) => page.items.map((item) => item.body))).toEqual(bodies);
    expect(pages.at(-1)!.next).toBeNull();
    expect(new Set(pages.flatMap((page) => page.items.map((item) => item.id))).size).toBe(7);
  });

  it('a page that ends exactly at the last message has no next', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    await post(orgId, chatId, randomUUID(), 'a', 'b', 'c', 'd');

    const pages = await allPages(orgId, chatId, 2);
    expect(pages.map((page) => page.items.map((item) => item.body))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(pages[1]!.next).toBeNull();
  });

  it('a message posted after a page was read shows up on the next page, never before the cursor', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    await post(orgId, chatId, randomUUID(), 'a', 'b', 'c');
    const first = await list(orgId, chatId, 2);
    await post(orgId, chatId, randomUUID(), 'd');

    const second = await list(orgId, chatId, 2, first.next);
    expect(second.items.map((item) => item.body)).toEqual(['c', 'd']);
    expect(second.next).toBeNull();
  });

  it("with one org's tenant set, never another org's messages", async () => {
    const orgId = randomUUID();
    const otherOrg = randomUUID();
    const chatId = randomUUID();
    await post(otherOrg, chatId, randomUUID(), 'secret');

    expect(await list(orgId, chatId, 50)).toEqual({ items: [], next: null });
    expect(
      await h.read({ orgId }, (client) => listMessages(client, otherOrg, chatId, { limit: 50, after: null })),
    ).toEqual({
      items: [],
      next: null,
    });
    const visible = await h.read(
      { orgId },
      async (client) => (await client.query(`SELECT 1 FROM ${MESSAGES_TABLE}`)).rowCount,
    );
    expect(visible).toBe(0);
  });
});
