import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { chatAccessProjection } from './chat-access.projection.js';
import { AccessScenario, group, user } from './testing/access-scenario.js';

/**
 * Given events, then the rows of `chat_access`: one scenario per way an event
 * changes who may do what (DESIGN.md §5 "Effective access"). Permissions are
 * shown as stored, with a trailing `blocked` when `write_blocked` is set.
 */
const ALL = ['read', 'write', 'share', 'delete'];
const READ = ['read'];
const READ_WRITE = ['read', 'write'];
const NONE: string[] = [];

let harness: ProjectionHarness;
beforeAll(async () => {
  harness = await startProjectionHarness([chatAccessProjection]);
});
afterAll(async () => {
  await harness.close();
});

/** An org whose owner is `olga`, with `alice` and `bob` as plain members. */
async function world() {
  const olga = randomUUID();
  const alice = randomUUID();
  const bob = randomUUID();
  const s = new AccessScenario(harness);
  await s.orgCreated(olga);
  await s.memberAdded(alice);
  await s.memberAdded(bob);
  return { s, olga, alice, bob };
}

describe('ownership and org roles', () => {
  it("gives the root's owner everything, on the root and its sub-chats; a sub-chat's creator gets nothing of their own", async () => {
    const { s, olga, alice, bob } = await world();
    const root = await s.chatCreated(alice);
    const sub = await s.chatCreated(bob, { parentChatId: root });
    expect(await s.access(alice, root)).toEqual(ALL);
    expect(await s.access(alice, sub)).toEqual(ALL);
    expect(await s.access(bob, sub)).toEqual(NONE);
    // The org owner gets everything through the role.
    expect(await s.access(olga, sub)).toEqual(ALL);
    expect(Object.keys(await s.rows()).sort()).toEqual(
      [`${alice}/${root}`, `${alice}/${sub}`, `${olga}/${root}`, `${olga}/${sub}`].sort(),
    );
  });

  it('gives org admins everything, and takes it back when the role changes', async () => {
    const { s, alice, bob } = await world();
    const root = await s.chatCreated(alice);
    const sub = await s.chatCreated(alice, { parentChatId: root });
    await s.roleChanged(bob, 'admin', 'member');
    expect(await s.access(bob, root)).toEqual(ALL);
    expect(await s.access(bob, sub)).toEqual(ALL);
    await s.roleChanged(bob, 'auditor', 'admin');
    expect(await s.access(bob, root)).toEqual(NONE);
    expect(await s.access(bob, sub)).toEqual(NONE);
  });

  it('gives an admin added after the chats exist everything at once', async () => {
    const { s, alice } = await world();
    const root = await s.chatCreated(alice);
    const adam = randomUUID();
    await s.memberAdded(adam, 'admin');
    expect(await s.access(adam, root)).toEqual(ALL);
  });

  it('keeps what another source grants when an org role goes', async () => {
    const { s, alice, bob } = await world();
    const root = await s.chatCreated(alice);
    await s.shared(root, user(bob), 'viewer');
    await s.roleChanged(bob, 'owner', 'member');
    expect(await s.access(bob, root)).toEqual(ALL);
    await s.roleChanged(bob, 'member', 'owner');
    expect(await s.access(bob, root)).toEqual(READ);
  });
});

describe('the ACL', () => {
  it('grants read to a viewer and read, write to an editor, on sub-chats too; unsharing takes it back', async () => {
    const { s, alice, bob } = await world();
    const root = await s.chatCreated(alice);
    const sub = await s.chatCreated(alice, { parentChatId: root });
    await s.shared(root, user(bob), 'viewer');
    expect(await s.access(bob, root)).toEqual(READ);
    expect(await s.access(bob, sub)).toEqual(READ);
    await s.shared(root, user(bob), 'editor', 'viewer');
    expect(await s.access(bob, root)).toEqual(READ_WRITE);
    expect(await s.access(bob, sub)).toEqual(READ_WRITE);
    await s.unshared(root, user(bob), 'editor');
    expect(await s.access(bob, root)).toEqual(NONE);
    expect(await s.access(bob, sub)).toEqual(NONE);
  });

  it("grants a group's role to its members, present and future; the highest of direct and group wins", async () => {
    const { s, alice, bob } = await world();
    const carol = randomUUID();
    await s.memberAdded(carol);
    const designers = await s.groupCreated([bob]);
    const root = await s.chatCreated(alice);
    await s.shared(root, group(designers), 'editor');
    await s.shared(root, user(bob), 'viewer');
    expect(await s.access(bob, root)).toEqual(READ_WRITE);
    expect(await s.access(carol, root)).toEqual(NONE);
    await s.groupMemberAdded(designers, carol);
    expect(await s.access(carol, root)).toEqual(READ_WRITE);
    // A sub-chat created after the share inherits it.
    const sub = await s.chatCreated(alice, { parentChatId: root });
    expect(await s.access(carol, sub)).toEqual(READ_WRITE);
  });

  it("takes a removed member's group access, and only theirs", async () => {
    const { s, alice, bob } = await world();
    const carol = randomUUID();
    await s.memberAdded(carol);
    const designers = await s.groupCreated([bob, carol]);
    const root = await s.chatCreated(alice);
    const sub = await s.chatCreated(alice, { parentChatId: root });
    await s.shared(root, group(designers), 'viewer');
    await s.groupMemberRemoved(designers, bob);
    expect(await s.access(bob, root)).toEqual(NONE);
    expect(await s.access(bob, sub)).toEqual(NONE);
    expect(await s.access(carol, sub)).toEqual(READ);
  });

  it("takes a deleted group's access from all its members; its stored entry grants nothing", async () => {
    const { s, alice, bob } = await world();
    const carol = randomUUID();
    await s.memberAdded(carol);
    const designers = await s.groupCreated([bob, carol]);
    const root = await s.chatCreated(alice);
    await s.shared(root, group(designers), 'editor');
    await s.shared(root, user(carol), 'viewer');
    await s.groupDeleted(designers);
    expect(await s.access(bob, root)).toEqual(NONE);
    expect(await s.access(carol, root)).toEqual(READ);
    // A later org-wide recompute must not bring it back either.
    await s.settingsChanged({ chatSharingDisabled: true, workspaceSharingDisabled: false });
    await s.settingsChanged(
      { chatSharingDisabled: false, workspaceSharingDisabled: false },
      { chatSharingDisabled: true, workspaceSharingDisabled: false },
    );
    expect(await s.access(bob, root)).toEqual(NONE);
  });

  it('makes every entry inert while chatSharingDisabled is on, and brings them back when it is off', async () => {
    const { s, alice, bob } = await world();
    const carol = randomUUID();
    await s.memberAdded(carol);
    const designers = await s.groupCreated([carol]);
    const root = await s.chatCreated(alice);
    const sub = await s.chatCreated(alice, { parentChatId: root });
    await s.shared(root, user(bob), 'editor');
    await s.shared(root, group(designers), 'viewer');
    await s.settingsChanged({ chatSharingDisabled: true, workspaceSharingDisabled: false });
    expect(await s.access(bob, root)).toEqual(NONE);
    expect(await s.access(carol, sub)).toEqual(NONE);
    expect(await s.access(alice, sub)).toEqual(ALL);
    await s.settingsChanged(
      { chatSharingDisabled: false, workspaceSharingDisabled: false },
      { chatSharingDisabled: true, workspaceSharingDisabled: false },
    );
    expect(await s.access(bob, root)).toEqual(READ_WRITE);
    expect(await s.access(carol, sub)).toEqual(READ);
  });

  it('ignores entries on a sub-chat (the domain refuses them; they would be inert)', async () => {
    const { s, alice, bob } = await world();
    const root = await s.chatCreated(alice);
    const sub = await s.chatCreated(alice, { parentChatId: root });
    await s.shared(sub, user(bob), 'editor');
    expect(await s.access(bob, sub)).toEqual(NONE);
  });
});

describe('workspaces', () => {
  it("grants the workspace's roles on its chats: viewer reads, member writes; changes and removals count", async () => {
    const { s, alice, bob } = await world();
    const ws = await s.workspaceCreated(alice);
    const root = await s.chatCreated(alice, { workspaceId: ws });
    const sub = await s.chatCreated(alice, { parentChatId: root });
    await s.workspaceMemberAdded(ws, bob, 'viewer');
    expect(await s.access(bob, root)).toEqual(READ);
    expect(await s.access(bob, sub)).toEqual(READ);
    await s.workspaceRoleChanged(ws, bob, 'member', 'viewer');
    expect(await s.access(bob, sub)).toEqual(READ_WRITE);
    await s.workspaceMemberRemoved(ws, bob, 'member');
    expect(await s.access(bob, root)).toEqual(NONE);
    expect(await s.access(bob, sub)).toEqual(NONE);
  });

  it('gives members of the workspace rows on a chat created in it at once', async () => {
    const { s, alice, bob } = await world();
    const ws = await s.workspaceCreated(alice);
    await s.workspaceMemberAdded(ws, bob, 'member');
    const root = await s.chatCreated(alice, { workspaceId: ws });
    expect(await s.access(bob, root)).toEqual(READ_WRITE);
  });

  it('leaves only workspace owners while workspaceSharingDisabled is on', async () => {
    const { s, olga, alice, bob } = await world();
    const carol = randomUUID();
    await s.memberAdded(carol);
    const ws = await s.workspaceCreated(alice);
    await s.workspaceMemberAdded(ws, bob, 'admin');
    await s.workspaceMemberAdded(ws, carol, 'owner');
    const root = await s.chatCreated(olga, { workspaceId: ws });
    await s.settingsChanged({ chatSharingDisabled: false, workspaceSharingDisabled: true });
    expect(await s.access(bob, root)).toEqual(NONE);
    expect(await s.access(carol, root)).toEqual(READ_WRITE);
    await s.settingsChanged(
      { chatSharingDisabled: false, workspaceSharingDisabled: false },
      { chatSharingDisabled: false, workspaceSharingDisabled: true },
    );
    expect(await s.access(bob, root)).toEqual(READ_WRITE);
  });

  it('blocks write, share and delete for everyone while archived, and gives them back when unarchived', async () => {
    const { s, olga, alice, bob } = await world();
    const ws = await s.workspaceCreated(alice);
    await s.workspaceMemberAdded(ws, bob, 'viewer');
    const root = await s.chatCreated(alice, { workspaceId: ws });
    const sub = await s.chatCreated(alice, { parentChatId: root });
    const outside = await s.chatCreated(alice);
    await s.workspaceArchived(ws);
    expect(await s.access(alice, root)).toEqual([...READ, 'blocked']);
    expect(await s.access(olga, sub)).toEqual([...READ, 'blocked']);
    expect(await s.access(bob, sub)).toEqual([...READ, 'blocked']);
    expect(await s.access(alice, outside)).toEqual(ALL);
    await s.workspaceArchived(ws, false);
    expect(await s.access(alice, root)).toEqual(ALL);
    expect(await s.access(bob, sub)).toEqual(READ);
  });
});

describe('deletion', () => {
  it("removes a deleted middle chat's subtree, and leaves the root and the other branches", async () => {
    const { s, olga, alice, bob } = await world();
    const root = await s.chatCreated(alice);
    const middle = await s.chatCreated(alice, { parentChatId: root });
    const below = await s.chatCreated(alice, { parentChatId: middle });
    const sibling = await s.chatCreated(alice, { parentChatId: root });
    await s.shared(root, user(bob), 'viewer');
    await s.deleted(middle);
    const rows = await s.rows();
    const chatsWithRows = new Set(Object.keys(rows).map((key) => key.split('/')[1]));
    expect(chatsWithRows).toEqual(new Set([root, sibling]));
    expect(await s.access(bob, sibling)).toEqual(READ);
    // Nothing under the deleted chat comes back with a later recompute of the tree.
    await s.roleChanged(bob, 'admin', 'member');
    expect(await s.access(bob, below)).toEqual(NONE);
    expect(await s.access(olga, middle)).toEqual(NONE);
  });

  it('removes every row of a deleted root and its sub-chats', async () => {
    const { s, alice, bob } = await world();
    const root = await s.chatCreated(alice);
    await s.chatCreated(alice, { parentChatId: root });
    await s.shared(root, user(bob), 'editor');
    await s.deleted(root);
    expect(await s.rows()).toEqual({});
  });
});

describe('org membership', () => {
  it('takes everything from who leaves the org, and gives group and workspace access back on re-adding', async () => {
    const { s, alice, bob } = await world();
    const designers = await s.groupCreated([bob]);
    const ws = await s.workspaceCreated(alice);
    await s.workspaceMemberAdded(ws, bob, 'member');
    const shared = await s.chatCreated(alice);
    await s.shared(shared, group(designers), 'viewer');
    const inWs = await s.chatCreated(alice, { workspaceId: ws });
    const own = await s.chatCreated(bob);
    expect(await s.access(bob, own)).toEqual(ALL);

    await s.memberRemoved(bob);
    const rows = await s.rows();
    expect(Object.keys(rows).filter((key) => key.startsWith(bob))).toEqual([]);

    await s.memberAdded(bob);
    expect(await s.access(bob, shared)).toEqual(READ);
    expect(await s.access(bob, inWs)).toEqual(READ_WRITE);
    expect(await s.access(bob, own)).toEqual(ALL);
  });

  it('changes nothing on events that grant nothing (rename)', async () => {
    const { s, alice } = await world();
    const root = await s.chatCreated(alice);
    const before = await s.rows();
    await s.renamed(root, 'Renamed');
    expect(await s.rows()).toEqual(before);
  });
});
