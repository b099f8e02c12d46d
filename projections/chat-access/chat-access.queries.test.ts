import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { type Page } from '../page.js';
import { chatAccessProjection } from './chat-access.projection.js';
import { getChatAccess, listVisibleChats, type VisibleChat } from './chat-access.queries.js';
import { AccessScenario, user } from './testing/access-scenario.js';
import { chatsStandIn } from './testing/chats-stand-in.js';

let harness: ProjectionHarness;
beforeAll(async () => {
  harness = await startProjectionHarness([chatsStandIn, chatAccessProjection]);
});
afterAll(async () => {
  await harness.close();
});

const access = (s: AccessScenario, userId: string, chatId: string, orgId = s.orgId) =>
  harness.read({ orgId: s.orgId, userId }, (client) => getChatAccess(client, orgId, userId, chatId));

/** Every page of the list, following `next`. */
async function allPages(s: AccessScenario, userId: string, limit: number, workspaceId: string | null = null) {
  const pages: Array<Page<VisibleChat>> = [];
  let after: string | null = null;
  do {
    const page: Page<VisibleChat> = await harness.read({ orgId: s.orgId, userId }, (client) =>
      listVisibleChats(client, { orgId: s.orgId, userId, workspaceId, page: { limit, after } }),
    );
    pages.push(page);
    after = page.next;
  } while (after !== null);
  return pages;
}

describe('getChatAccess', () => {
  it('answers the stored permissions and the archive block, and null without a row', async () => {
    const s = new AccessScenario(harness);
    const [olga, bob] = [randomUUID(), randomUUID()];
    await s.orgCreated(olga);
    await s.memberAdded(bob);
    const ws = await s.workspaceCreated(olga);
    const chat = await s.chatCreated(olga, { workspaceId: ws });
    await s.shared(chat, user(bob), 'editor');
    expect(await access(s, bob, chat)).toEqual({ permissions: ['read', 'write'], writeBlocked: false });
    await s.workspaceArchived(ws);
    expect(await access(s, bob, chat)).toEqual({ permissions: ['read'], writeBlocked: true });
    expect(await access(s, randomUUID(), chat)).toBeNull();
    expect(await access(s, bob, randomUUID())).toBeNull();
  });

  it("never answers from another tenant's rows, even when asked for that org id", async () => {
    const a = new AccessScenario(harness);
    const b = new AccessScenario(harness);
    const olga = randomUUID();
    await a.orgCreated(olga);
    await b.orgCreated(randomUUID());
    const chat = await a.chatCreated(olga);
    expect(await access(a, olga, chat)).not.toBeNull();
    // Scoped to org b, the query names org a: row-level security hides the row.
    expect(await access(b, olga, chat, a.orgId)).toBeNull();
  });
});

describe('listVisibleChats', () => {
  it('pages through exactly the visible chats, oldest first; every page but the last is full', async () => {
    const s = new AccessScenario(harness);
    const [olga, bob] = [randomUUID(), randomUUID()];
    await s.orgCreated(olga);
    await s.memberAdded(bob);
    const visible: string[] = [];
    for (let i = 0; i < 24; i += 1) {
      const chat = await s.chatCreated(olga);
      // One chat in three is shared with bob: the others sit between them in the index order.
      if (i % 3 === 1) {
        await s.shared(chat, user(bob), 'viewer');
        visible.push(chat);
      }
    }
    await s.renamed(visible[0]!, 'Renamed');

    const pages = await allPages(s, bob, 3);
    expect(pages.map((page) => page.items.length)).toEqual([3, 3, 2]);
    expect(pages.flatMap((page) => page.items.map((item) => item.id))).toEqual(visible);
    const first = pages[0]!.items[0]!;
    expect(first).toEqual({
      id: visible[0],
      title: 'Renamed',
      // No users row in this harness: display names are null until the users read model has one.
      owner: { id: olga, displayName: null },
      createdBy: { id: olga, displayName: null },
      rootChatId: visible[0],
      parentChatId: null,
      workspaceId: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      permissions: ['read'],
    });
    expect((await allPages(s, bob, 5)).map((page) => page.items.length)).toEqual([5, 3]);
    expect((await allPages(s, olga, 200))[0]!.items).toHaveLength(24);
  });

  it('filters by workspace (roots bound to it and their sub-chats) and leaves deleted chats out', async () => {
    const s = new AccessScenario(harness);
    const olga = randomUUID();
    await s.orgCreated(olga);
    const ws = await s.workspaceCreated(olga);
    const root = await s.chatCreated(olga, { workspaceId: ws });
    const sub = await s.chatCreated(olga, { parentChatId: root });
    const gone = await s.chatCreated(olga, { parentChatId: root });
    const outside = await s.chatCreated(olga);
    await s.deleted(gone);

    const inWs = (await allPages(s, olga, 10, ws)).flatMap((page) => page.items);
    expect(inWs.map((item) => item.id)).toEqual([root, sub]);
    expect(inWs[1]).toMatchObject({ rootChatId: root, parentChatId: root, workspaceId: ws });
    const everything = (await allPages(s, olga, 10)).flatMap((page) => page.items.map((item) => item.id));
    expect(everything).toEqual([root, sub, outside]);
  });

  it("shows a sub-chat's owner as its root's owner, and its creator as createdBy", async () => {
    const s = new AccessScenario(harness);
    const [olga, adam] = [randomUUID(), randomUUID()];
    await s.orgCreated(olga);
    await s.memberAdded(adam, 'admin');
    const root = await s.chatCreated(olga);
    const sub = await s.chatCreated(adam, { parentChatId: root });
    const subSub = await s.chatCreated(adam, { parentChatId: sub });

    const items = (await allPages(s, adam, 10)).flatMap((page) => page.items);
    expect(items.map(({ id, owner, createdBy }) => [id, owner.id, createdBy.id])).toEqual([
      [root, olga, olga],
      [sub, olga, adam],
      [subSub, olga, adam],
    ]);
  });
});
