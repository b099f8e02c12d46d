import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChatEvent, type ChatSubject } from '../../libs/domain/chat/chat.events.js';
import { streams } from '../../libs/domain/streams.js';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { CHAT_ACL_ENTRIES_TABLE, CHATS_TABLE, chatsProjection } from './chats.projection.js';
import { getChat } from './chats.queries.js';
import { installStandIns } from './testing/read-model-stand-ins.js';

let h: ProjectionHarness;

beforeAll(async () => {
  h = await startProjectionHarness([chatsProjection]);
  await installStandIns(h.database.ownerPool);
});
afterAll(() => h.close());

/** Appends chat events to the chat's stream, as the command side would, and projects. */
async function given(orgId: string, chatId: string, ...events: ChatEvent[]): Promise<string> {
  const position = await h.append(streams.chat(orgId, chatId), events, orgId);
  await h.project();
  return position;
}

function created(
  orgId: string,
  chatId: string,
  tree: { parent?: { chatId: string; rootChatId: string }; workspaceId?: string | null; title?: string } = {},
): ChatEvent {
  return {
    type: 'ChatCreated',
    data: {
      orgId,
      chatId,
      title: tree.title ?? `chat ${chatId.slice(0, 8)}`,
      ownerId: randomUUID(),
      workspaceId: tree.workspaceId ?? null,
      parentChatId: tree.parent?.chatId ?? null,
      rootChatId: tree.parent?.rootChatId ?? chatId,
    },
  };
}

interface ChatRow {
  chat_id: string;
  title: string;
  root_chat_id: string;
  parent_chat_id: string | null;
  workspace_id: string | null;
  ancestor_ids: string[];
  created_position: string;
  created_at: Date;
  deleted_at: Date | null;
}

function chatRows(orgId: string): Promise<ChatRow[]> {
  return h.read({ orgId }, async (client) => {
    const { rows } = await client.query<ChatRow>(`SELECT * FROM ${CHATS_TABLE} ORDER BY created_position`);
    return rows;
  });
}

async function chatRow(orgId: string, chatId: string): Promise<ChatRow | undefined> {
  return (await chatRows(orgId)).find((row) => row.chat_id === chatId);
}

function aclRows(orgId: string) {
  return h.read({ orgId }, async (client) => {
    const { rows } = await client.query<{
      chat_id: string;
      subject_kind: string;
      subject_id: string;
      role: string;
      granted_event_id: string;
      granted_position: string;
    }>(`SELECT * FROM ${CHAT_ACL_ENTRIES_TABLE} ORDER BY subject_kind, subject_id`);
    return rows;
  });
}

const readChat = (orgId: string, chatId: string) =>
  h.read({ orgId }, (client) => getChat(client, orgId, chatId));

/** A chain root → middle → leaf, plus a sibling of middle, in a fresh org. */
async function givenTree() {
  const orgId = randomUUID();
  const [root, middle, leaf, sibling] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const workspaceId = randomUUID();
  await given(orgId, root, created(orgId, root, { workspaceId }));
  await given(
    orgId,
    middle,
    created(orgId, middle, { parent: { chatId: root, rootChatId: root }, workspaceId }),
  );
  await given(
    orgId,
    leaf,
    created(orgId, leaf, { parent: { chatId: middle, rootChatId: root }, workspaceId }),
  );
  await given(
    orgId,
    sibling,
    created(orgId, sibling, { parent: { chatId: root, rootChatId: root }, workspaceId }),
  );
  return { orgId, root, middle, leaf, sibling, workspaceId };
}

describe('ChatCreated', () => {
  it('records a root chat with no ancestors, at the position and time of its event', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    const before = Date.now();
    const position = await given(orgId, chatId, created(orgId, chatId, { title: 'Roadmap' }));

    const row = await chatRow(orgId, chatId);
    expect(row).toMatchObject({
      title: 'Roadmap',
      root_chat_id: chatId,
      parent_chat_id: null,
      workspace_id: null,
      ancestor_ids: [],
      created_position: position,
      deleted_at: null,
    });
    expect(row!.created_at.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(row!.created_at.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("records sub-chats with their ancestors, root first and parent last, in the root's workspace", async () => {
    const { orgId, root, middle, leaf, sibling, workspaceId } = await givenTree();

    expect(await chatRow(orgId, middle)).toMatchObject({
      root_chat_id: root,
      parent_chat_id: root,
      workspace_id: workspaceId,
      ancestor_ids: [root],
    });
    expect(await chatRow(orgId, leaf)).toMatchObject({
      root_chat_id: root,
      parent_chat_id: middle,
      workspace_id: workspaceId,
      ancestor_ids: [root, middle],
    });
    expect((await chatRow(orgId, sibling))?.ancestor_ids).toEqual([root]);
  });

  it('ignores message events and events of other aggregates', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    await given(orgId, chatId, created(orgId, chatId));
    await h.append(
      streams.chatMessages(orgId, chatId),
      [
        {
          type: 'ChatMessagePosted',
          data: { orgId, chatId, messageId: randomUUID(), authorId: randomUUID(), body: 'hello' },
        },
      ],
      orgId,
    );
    await h.append(
      streams.group(orgId, randomUUID()),
      [{ type: 'GroupCreated', data: { orgId, groupId: randomUUID(), name: 'x' } }],
      orgId,
    );
    await h.project();

    expect(await chatRows(orgId)).toHaveLength(1);
    expect(await aclRows(orgId)).toEqual([]);
  });
});

describe('ChatRenamed', () => {
  it('changes the title, every time', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    await given(orgId, chatId, created(orgId, chatId, { title: 'One' }));
    await given(orgId, chatId, {
      type: 'ChatRenamed',
      data: { orgId, chatId, title: 'Two', previousTitle: 'One' },
    });
    expect((await readChat(orgId, chatId))?.title).toBe('Two');

    await given(orgId, chatId, {
      type: 'ChatRenamed',
      data: { orgId, chatId, title: 'Three', previousTitle: 'Two' },
    });
    expect((await readChat(orgId, chatId))?.title).toBe('Three');
  });

  it('renames a sub-chat without touching its root', async () => {
    const { orgId, root, middle } = await givenTree();
    await given(orgId, middle, {
      type: 'ChatRenamed',
      data: { orgId, chatId: middle, title: 'Renamed', previousTitle: 'x' },
    });
    expect((await readChat(orgId, middle))?.title).toBe('Renamed');
    expect((await readChat(orgId, root))?.title).toBe(`chat ${root.slice(0, 8)}`);
  });
});

describe('ChatShared and ChatUnshared', () => {
  const shared = (
    orgId: string,
    chatId: string,
    subject: ChatSubject,
    role: 'viewer' | 'editor',
  ): ChatEvent => ({
    type: 'ChatShared',
    data: { orgId, chatId, subject, role, previousRole: null },
  });

  it('adds an entry naming the event that granted it, changes its role, and removes it', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    const user: ChatSubject = { kind: 'user', id: randomUUID() };
    const group: ChatSubject = { kind: 'group', id: randomUUID() };
    await given(orgId, chatId, created(orgId, chatId));

    const firstPosition = await given(orgId, chatId, shared(orgId, chatId, user, 'viewer'));
    await given(orgId, chatId, shared(orgId, chatId, group, 'editor'));
    const byKind = async () =>
      Object.fromEntries((await aclRows(orgId)).map((row) => [row.subject_kind, row]));
    expect((await byKind()).user).toMatchObject({
      chat_id: chatId,
      subject_id: user.id,
      role: 'viewer',
      granted_position: firstPosition,
    });
    expect((await byKind()).group).toMatchObject({ subject_id: group.id, role: 'editor' });
    const firstEventId = (await byKind()).user!.granted_event_id;

    const secondPosition = await given(orgId, chatId, {
      type: 'ChatShared',
      data: { orgId, chatId, subject: user, role: 'editor', previousRole: 'viewer' },
    });
    const changed = (await byKind()).user!;
    expect(changed).toMatchObject({ role: 'editor', granted_position: secondPosition });
    expect(changed.granted_event_id).not.toBe(firstEventId);
    expect(await aclRows(orgId)).toHaveLength(2);

    await given(orgId, chatId, {
      type: 'ChatUnshared',
      data: { orgId, chatId, subject: user, previousRole: 'editor' },
    });
    expect((await aclRows(orgId)).map((row) => row.subject_kind)).toEqual(['group']);
  });

  it('keeps a user and a group with the same id apart', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    const id = randomUUID();
    await given(orgId, chatId, created(orgId, chatId));
    await given(orgId, chatId, shared(orgId, chatId, { kind: 'user', id }, 'viewer'));
    await given(orgId, chatId, shared(orgId, chatId, { kind: 'group', id }, 'editor'));
    await given(orgId, chatId, {
      type: 'ChatUnshared',
      data: { orgId, chatId, subject: { kind: 'group', id }, previousRole: 'editor' },
    });
    expect(await aclRows(orgId)).toMatchObject([{ subject_kind: 'user', subject_id: id, role: 'viewer' }]);
  });
});

describe('ChatDeleted', () => {
  const deleted = (orgId: string, chatId: string): ChatEvent => ({
    type: 'ChatDeleted',
    data: { orgId, chatId },
  });

  it('deleting a middle chat hides it and its subtree, not its siblings or ancestors', async () => {
    const { orgId, root, middle, leaf, sibling } = await givenTree();
    await given(orgId, middle, deleted(orgId, middle));

    expect(await readChat(orgId, middle)).toBeNull();
    expect(await readChat(orgId, leaf)).toBeNull();
    expect(await readChat(orgId, root)).not.toBeNull();
    expect(await readChat(orgId, sibling)).not.toBeNull();
    const rows = await chatRows(orgId);
    expect(
      rows
        .filter((row) => row.deleted_at !== null)
        .map((row) => row.chat_id)
        .sort(),
    ).toEqual([middle, leaf].sort());
  });

  it('deleting a root hides the whole tree', async () => {
    const { orgId, root, middle, leaf, sibling } = await givenTree();
    await given(orgId, root, deleted(orgId, root));

    for (const chatId of [root, middle, leaf, sibling]) expect(await readChat(orgId, chatId)).toBeNull();
  });

  it('keeps the time of the first deletion when a later one covers a chat again', async () => {
    const { orgId, root, middle, leaf } = await givenTree();
    await given(orgId, middle, deleted(orgId, middle));
    const first = (await chatRow(orgId, leaf))!.deleted_at;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await given(orgId, root, deleted(orgId, root));

    expect((await chatRow(orgId, leaf))!.deleted_at).toEqual(first);
    expect((await chatRow(orgId, root))!.deleted_at).not.toBeNull();
  });

  it('a sub-chat created under a deleted parent is born deleted', async () => {
    const { orgId, root, middle } = await givenTree();
    await given(orgId, middle, deleted(orgId, middle));
    const late = randomUUID();
    await given(orgId, late, created(orgId, late, { parent: { chatId: middle, rootChatId: root } }));

    expect(await readChat(orgId, late)).toBeNull();
  });

  it("touches no other org's chats", async () => {
    const a = await givenTree();
    const b = await givenTree();
    await given(a.orgId, a.root, deleted(a.orgId, a.root));

    expect((await chatRows(b.orgId)).every((row) => row.deleted_at === null)).toBe(true);
  });
});

describe('tenancy', () => {
  it("with one org's tenant set, no row of another org is visible", async () => {
    const a = await givenTree();
    const b = await givenTree();
    await given(b.orgId, b.root, {
      type: 'ChatShared',
      data: {
        orgId: b.orgId,
        chatId: b.root,
        subject: { kind: 'user', id: randomUUID() },
        role: 'viewer',
        previousRole: null,
      },
    });

    const seen = await h.read({ orgId: a.orgId }, async (client) => ({
      chats: (await client.query<{ org_id: string }>(`SELECT org_id FROM ${CHATS_TABLE}`)).rows,
      acl: (await client.query(`SELECT * FROM ${CHAT_ACL_ENTRIES_TABLE} WHERE org_id = $1`, [b.orgId])).rows,
      chatOfB: await getChat(client, b.orgId, b.root),
    }));
    expect(seen.chats.length).toBeGreaterThan(0);
    expect(seen.chats.every((row) => row.org_id === a.orgId)).toBe(true);
    expect(seen.acl).toEqual([]);
    expect(seen.chatOfB).toBeNull();
  });

  it('with no tenant set, nothing is visible', async () => {
    await givenTree();
    const count = await h.read(
      {},
      async (client) => (await client.query(`SELECT 1 FROM ${CHATS_TABLE}`)).rowCount,
    );
    expect(count).toBe(0);
  });
});

describe('an inconsistent log', () => {
  let broken: ProjectionHarness;
  beforeAll(async () => {
    broken = await startProjectionHarness([chatsProjection]);
  });
  afterAll(() => broken.close());

  it('fails at a sub-chat whose parent it never saw, rather than skip it', async () => {
    const orgId = randomUUID();
    const chatId = randomUUID();
    const missing = randomUUID();
    await broken.append(
      streams.chat(orgId, chatId),
      [created(orgId, chatId, { parent: { chatId: missing, rootChatId: missing } })],
      orgId,
    );

    await expect(broken.project()).rejects.toThrow(`parent ${missing}`);
  });
});
