import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChatEvent, type ChatSubject } from '../../libs/domain/chat/chat.events.js';
import { streams } from '../../libs/domain/streams.js';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { chatsProjection } from './chats.projection.js';
import { getChat, getChatAcl } from './chats.queries.js';
import { installStandIns, type StandIns } from './testing/read-model-stand-ins.js';

let h: ProjectionHarness;
let standIns: StandIns;

beforeAll(async () => {
  h = await startProjectionHarness([chatsProjection]);
  standIns = await installStandIns(h.database.ownerPool);
});
afterAll(() => h.close());

async function given(orgId: string, chatId: string, ...events: ChatEvent[]): Promise<void> {
  await h.append(streams.chat(orgId, chatId), events, orgId);
  await h.project();
}

async function aUser(displayName: string) {
  const user = { id: randomUUID(), email: `${randomUUID()}@example.test`, displayName };
  await standIns.user(user);
  return user;
}

function created(
  orgId: string,
  chatId: string,
  ownerId: string,
  parent?: { chatId: string; rootChatId: string },
) {
  return {
    type: 'ChatCreated',
    data: {
      orgId,
      chatId,
      title: 'Launch',
      ownerId,
      workspaceId: null,
      parentChatId: parent?.chatId ?? null,
      rootChatId: parent?.rootChatId ?? chatId,
    },
  } satisfies ChatEvent;
}

function shared(orgId: string, chatId: string, subject: ChatSubject, role: 'viewer' | 'editor') {
  return {
    type: 'ChatShared',
    data: { orgId, chatId, subject, role, previousRole: null },
  } satisfies ChatEvent;
}

describe('getChat', () => {
  it("answers the chat with its owner's display name, never the email", async () => {
    const orgId = randomUUID();
    const owner = await aUser('Olga Owner');
    const root = randomUUID();
    const sub = randomUUID();
    await given(orgId, root, created(orgId, root, owner.id));
    await given(orgId, sub, created(orgId, sub, owner.id, { chatId: root, rootChatId: root }));

    const chat = await h.read({ orgId }, (client) => getChat(client, orgId, sub));
    expect(chat).toEqual({
      id: sub,
      title: 'Launch',
      owner: { id: owner.id, displayName: 'Olga Owner' },
      createdBy: { id: owner.id, displayName: 'Olga Owner' },
      rootChatId: root,
      parentChatId: root,
      workspaceId: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(JSON.stringify(chat)).not.toContain(owner.email);
  });

  it("names the root's owner as a sub-chat's owner, at every depth, and its creator as createdBy", async () => {
    const orgId = randomUUID();
    const [ada, adam] = [await aUser('Ada'), await aUser('Adam Admin')];
    const [root, sub, subSub] = [randomUUID(), randomUUID(), randomUUID()];
    await given(orgId, root, created(orgId, root, ada.id));
    await given(orgId, sub, created(orgId, sub, adam.id, { chatId: root, rootChatId: root }));
    await given(orgId, subSub, created(orgId, subSub, adam.id, { chatId: sub, rootChatId: root }));

    const people = async (chatId: string) => {
      const chat = await h.read({ orgId }, (client) => getChat(client, orgId, chatId));
      return { owner: chat?.owner, createdBy: chat?.createdBy };
    };
    const asAda = { id: ada.id, displayName: 'Ada' };
    const asAdam = { id: adam.id, displayName: 'Adam Admin' };
    expect(await people(root)).toEqual({ owner: asAda, createdBy: asAda });
    expect(await people(sub)).toEqual({ owner: asAda, createdBy: asAdam });
    expect(await people(subSub)).toEqual({ owner: asAda, createdBy: asAdam });
  });

  it('answers null for an id that is no chat, and for a chat of another org', async () => {
    const orgId = randomUUID();
    const otherOrg = randomUUID();
    const theirs = randomUUID();
    await given(otherOrg, theirs, created(otherOrg, theirs, randomUUID()));

    expect(await h.read({ orgId }, (client) => getChat(client, orgId, randomUUID()))).toBeNull();
    // Filtered by org even where the tenant would allow it…
    expect(await h.read({ orgId: otherOrg }, (client) => getChat(client, orgId, theirs))).toBeNull();
    // …and hidden by row-level security where the filter names the other org.
    expect(await h.read({ orgId }, (client) => getChat(client, otherOrg, theirs))).toBeNull();
  });
});

describe('getChatAcl', () => {
  it('lists users by display name then id, and groups by name then id, with roles and member counts', async () => {
    const orgId = randomUUID();
    const root = randomUUID();
    const [bob, alice, otherAlice] = [await aUser('Bob'), await aUser('Alice'), await aUser('Alice')];
    const [ops, design] = [randomUUID(), randomUUID()];
    await standIns.group(orgId, { id: ops, name: 'Ops', members: [bob.id] });
    await standIns.group(orgId, { id: design, name: 'Design', members: [alice.id, otherAlice.id, bob.id] });
    await given(
      orgId,
      root,
      created(orgId, root, randomUUID()),
      shared(orgId, root, { kind: 'user', id: bob.id }, 'editor'),
      shared(orgId, root, { kind: 'user', id: alice.id }, 'viewer'),
      shared(orgId, root, { kind: 'user', id: otherAlice.id }, 'editor'),
      shared(orgId, root, { kind: 'group', id: ops }, 'viewer'),
      shared(orgId, root, { kind: 'group', id: design }, 'editor'),
    );

    const acl = await h.read({ orgId }, (client) => getChatAcl(client, orgId, root));
    const alices = [alice, otherAlice].sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(acl).toEqual({
      users: [
        { id: alices[0]!.id, displayName: 'Alice', role: alices[0] === alice ? 'viewer' : 'editor' },
        { id: alices[1]!.id, displayName: 'Alice', role: alices[1] === alice ? 'viewer' : 'editor' },
        { id: bob.id, displayName: 'Bob', role: 'editor' },
      ],
      groups: [
        { id: design, name: 'Design', memberCount: 3, role: 'editor' },
        { id: ops, name: 'Ops', memberCount: 1, role: 'viewer' },
      ],
    });
  });

  it('never contains emails or member lists', async () => {
    const orgId = randomUUID();
    const root = randomUUID();
    const [member, sharedWith] = [await aUser('Member'), await aUser('Shared With')];
    const group = randomUUID();
    await standIns.group(orgId, { id: group, name: 'Team', members: [member.id] });
    await given(
      orgId,
      root,
      created(orgId, root, randomUUID()),
      shared(orgId, root, { kind: 'user', id: sharedWith.id }, 'viewer'),
      shared(orgId, root, { kind: 'group', id: group }, 'viewer'),
    );

    const acl = await h.read({ orgId }, (client) => getChatAcl(client, orgId, root));
    const text = JSON.stringify(acl);
    expect(text).not.toContain('@');
    expect(text).not.toContain(member.id);
    expect(acl.users.map((user) => Object.keys(user).sort())).toEqual([['displayName', 'id', 'role']]);
    expect(acl.groups.map((g) => Object.keys(g).sort())).toEqual([['id', 'memberCount', 'name', 'role']]);
  });

  it('counts only the members of a group who are in the org now', async () => {
    const orgId = randomUUID();
    const root = randomUUID();
    const [stays, leaves] = [await aUser('Stays'), await aUser('Leaves')];
    const team = randomUUID();
    await standIns.group(orgId, { id: team, name: 'Team', members: [stays.id, leaves.id] });
    await given(
      orgId,
      root,
      created(orgId, root, randomUUID()),
      shared(orgId, root, { kind: 'group', id: team }, 'viewer'),
    );
    const count = async () =>
      (await h.read({ orgId }, (client) => getChatAcl(client, orgId, root))).groups[0]!.memberCount;
    expect(await count()).toBe(2);
    await standIns.removeFromOrg(orgId, leaves.id);
    expect(await count()).toBe(1);
  });

  it('leaves out entries of groups that no longer exist', async () => {
    const orgId = randomUUID();
    const root = randomUUID();
    const [kept, gone] = [randomUUID(), randomUUID()];
    await standIns.group(orgId, { id: kept, name: 'Kept' });
    await standIns.group(orgId, { id: gone, name: 'Gone' });
    await given(
      orgId,
      root,
      created(orgId, root, randomUUID()),
      shared(orgId, root, { kind: 'group', id: kept }, 'viewer'),
      shared(orgId, root, { kind: 'group', id: gone }, 'editor'),
    );
    await standIns.deleteGroup(orgId, gone);

    const acl = await h.read({ orgId }, (client) => getChatAcl(client, orgId, root));
    expect(acl.groups).toEqual([{ id: kept, name: 'Kept', memberCount: 0, role: 'viewer' }]);
  });

  it('shows a role change and an unshare', async () => {
    const orgId = randomUUID();
    const root = randomUUID();
    const [ann, ben] = [await aUser('Ann'), await aUser('Ben')];
    await given(
      orgId,
      root,
      created(orgId, root, randomUUID()),
      shared(orgId, root, { kind: 'user', id: ann.id }, 'viewer'),
      shared(orgId, root, { kind: 'user', id: ben.id }, 'viewer'),
      {
        type: 'ChatShared',
        data: {
          orgId,
          chatId: root,
          subject: { kind: 'user', id: ann.id },
          role: 'editor',
          previousRole: 'viewer',
        },
      },
      {
        type: 'ChatUnshared',
        data: { orgId, chatId: root, subject: { kind: 'user', id: ben.id }, previousRole: 'viewer' },
      },
    );

    const acl = await h.read({ orgId }, (client) => getChatAcl(client, orgId, root));
    expect(acl).toEqual({ users: [{ id: ann.id, displayName: 'Ann', role: 'editor' }], groups: [] });
  });

  it("never answers another org's entries", async () => {
    const orgId = randomUUID();
    const otherOrg = randomUUID();
    const theirs = randomUUID();
    const group = randomUUID();
    await standIns.group(otherOrg, { id: group, name: 'Theirs' });
    await given(
      otherOrg,
      theirs,
      created(otherOrg, theirs, randomUUID()),
      shared(otherOrg, theirs, { kind: 'user', id: (await aUser('Them')).id }, 'viewer'),
      shared(otherOrg, theirs, { kind: 'group', id: group }, 'viewer'),
    );
    const empty = { users: [], groups: [] };

    expect(await h.read({ orgId }, (client) => getChatAcl(client, otherOrg, theirs))).toEqual(empty);
    expect(await h.read({ orgId: otherOrg }, (client) => getChatAcl(client, orgId, theirs))).toEqual(empty);
    expect(
      (await h.read({ orgId: otherOrg }, (client) => getChatAcl(client, otherOrg, theirs))).users,
    ).toHaveLength(1);
  });
});
