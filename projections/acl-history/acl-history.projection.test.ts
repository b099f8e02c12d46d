import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { streams } from '../../libs/domain/streams.js';
import { startProjectionHarness, type ProjectionHarness } from '../../test/support/projection-harness.js';
import { allPages } from '../testing/all-pages.js';
import { aclHistoryProjection } from './acl-history.projection.js';
import { type AclEventFilters, listAclEvents } from './acl-history.queries.js';

let harness: ProjectionHarness;

beforeAll(async () => {
  harness = await startProjectionHarness([aclHistoryProjection]);
});
afterAll(async () => {
  await harness?.close();
});

/** An org with one of every event type, access-changing or not; returns ids and positions. */
async function history() {
  const orgId = randomUUID();
  const [owner, ann, ben] = [randomUUID(), randomUUID(), randomUUID()];
  const [groupId, workspaceId, chatId] = [randomUUID(), randomUUID(), randomUUID()];
  const at = (stream: string, type: string, data: object) => harness.append(stream, [{ type, data }], orgId);
  const org = streams.organization(orgId);
  const off = { chatSharingDisabled: false, workspaceSharingDisabled: false };
  const on = { chatSharingDisabled: true, workspaceSharingDisabled: false };
  const positions = {
    created: await at(org, 'OrganizationCreated', {
      orgId,
      slug: `o-${orgId.slice(0, 8)}`,
      name: 'O',
      createdBy: owner,
    }),
    owner: await at(org, 'OrgMemberAdded', { orgId, userId: owner, role: 'owner' }),
    ann: await at(org, 'OrgMemberAdded', { orgId, userId: ann, role: 'member' }),
    annAdmin: await at(org, 'MemberRoleChanged', {
      scope: 'organization',
      orgId,
      userId: ann,
      role: 'admin',
      previousRole: 'member',
    }),
    groupCreated: await at(streams.group(orgId, groupId), 'GroupCreated', { orgId, groupId, name: 'G' }),
    benInGroup: await at(streams.group(orgId, groupId), 'GroupMemberAdded', { orgId, groupId, userId: ben }),
    wsCreated: await at(streams.workspace(orgId, workspaceId), 'WorkspaceCreated', {
      orgId,
      workspaceId,
      slug: 'w',
      name: 'W',
      createdBy: ann,
    }),
    wsAnn: await at(streams.workspace(orgId, workspaceId), 'WorkspaceMemberAdded', {
      orgId,
      workspaceId,
      userId: ann,
      role: 'owner',
    }),
    chatCreated: await at(streams.chat(orgId, chatId), 'ChatCreated', {
      orgId,
      chatId,
      title: 'C',
      ownerId: ann,
      workspaceId,
      parentChatId: null,
      rootChatId: chatId,
    }),
    shared: await at(streams.chat(orgId, chatId), 'ChatShared', {
      orgId,
      chatId,
      subject: { kind: 'group', id: groupId },
      role: 'viewer',
      previousRole: null,
    }),
    renamed: await at(streams.chat(orgId, chatId), 'ChatRenamed', {
      orgId,
      chatId,
      title: 'D',
      previousTitle: 'C',
    }),
    posted: await at(streams.chatMessages(orgId, chatId), 'ChatMessagePosted', {
      orgId,
      chatId,
      messageId: randomUUID(),
      authorId: ann,
      body: 'hi',
    }),
    sharingOff: await at(org, 'OrgSettingsChanged', { orgId, settings: on, previous: off }),
    archived: await at(streams.workspace(orgId, workspaceId), 'WorkspaceArchived', { orgId, workspaceId }),
    unshared: await at(streams.chat(orgId, chatId), 'ChatUnshared', {
      orgId,
      chatId,
      subject: { kind: 'group', id: groupId },
      previousRole: 'viewer',
    }),
    benOut: await at(streams.group(orgId, groupId), 'GroupMemberRemoved', { orgId, groupId, userId: ben }),
    chatDeleted: await at(streams.chat(orgId, chatId), 'ChatDeleted', { orgId, chatId }),
    annRemoved: await at(org, 'OrgMemberRemoved', { orgId, userId: ann, previousRole: 'admin' }),
  };
  await harness.project();
  return { orgId, owner, ann, ben, groupId, workspaceId, chatId, positions };
}

const list = (orgId: string, filters: AclEventFilters = {}, scopeOrg = orgId) =>
  harness.read({ orgId: scopeOrg }, async (client) =>
    (await allPages(2, (page) => listAclEvents(client, orgId, filters, page))).flat(),
  );

describe('acl-history projection (DESIGN.md §9)', () => {
  it('records every event that changes who may do what, with before and after, and nothing else', async () => {
    const h = await history();
    const rows = await list(h.orgId);
    const p = h.positions;
    expect(
      rows.map((r) => [r.position, r.type, r.resource.kind, r.subject?.id ?? null, r.before, r.after]),
    ).toEqual([
      [p.owner, 'OrgMemberAdded', 'org', h.owner, null, { role: 'owner' }],
      [p.ann, 'OrgMemberAdded', 'org', h.ann, null, { role: 'member' }],
      [p.annAdmin, 'MemberRoleChanged', 'org', h.ann, { role: 'member' }, { role: 'admin' }],
      [p.benInGroup, 'GroupMemberAdded', 'group', h.ben, { member: false }, { member: true }],
      [p.wsAnn, 'WorkspaceMemberAdded', 'workspace', h.ann, null, { role: 'owner' }],
      [p.shared, 'ChatShared', 'chat', h.groupId, null, { role: 'viewer' }],
      [
        p.sharingOff,
        'OrgSettingsChanged',
        'org',
        null,
        { chatSharingDisabled: false, workspaceSharingDisabled: false },
        { chatSharingDisabled: true, workspaceSharingDisabled: false },
      ],
      [p.archived, 'WorkspaceArchived', 'workspace', null, { archived: false }, { archived: true }],
      [p.unshared, 'ChatUnshared', 'chat', h.groupId, { role: 'viewer' }, null],
      [p.benOut, 'GroupMemberRemoved', 'group', h.ben, { member: true }, { member: false }],
      [p.chatDeleted, 'ChatDeleted', 'chat', null, { deleted: false }, { deleted: true }],
      [p.annRemoved, 'OrgMemberRemoved', 'org', h.ann, { role: 'admin' }, null],
    ]);
    expect(rows[0]).toEqual({
      position: p.owner,
      eventId: expect.any(String),
      type: 'OrgMemberAdded',
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      actorId: expect.any(String),
      resource: { kind: 'org', id: h.orgId },
      subject: { kind: 'user', id: h.owner },
      before: null,
      after: { role: 'owner' },
    });
  });

  it('filters by interval (positions or times), resource, subject and actor', async () => {
    const h = await history();
    const p = h.positions;
    const types = async (filters: AclEventFilters) => (await list(h.orgId, filters)).map((r) => r.type);
    expect(await types({ from: { position: p.sharingOff }, to: { position: p.benOut } })).toEqual([
      'WorkspaceArchived',
      'ChatUnshared',
      'GroupMemberRemoved',
    ]);
    expect(await types({ resource: h.chatId })).toEqual(['ChatShared', 'ChatUnshared', 'ChatDeleted']);
    expect(await types({ subject: h.ben })).toEqual(['GroupMemberAdded', 'GroupMemberRemoved']);
    const all = await list(h.orgId);
    const actor = all[3]!.actorId!;
    expect(await types({ actor })).toEqual(['GroupMemberAdded']);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await types({ from: { time: future } })).toEqual([]);
    expect((await types({ to: { time: future } })).length).toBe(12);
  });

  it("shows one org's history only to that org, under row-level security", async () => {
    const a = await history();
    const b = await history();
    // Asking for org A while the tenant is B: RLS hides every row, whatever the WHERE says.
    expect(await list(a.orgId, {}, b.orgId)).toEqual([]);
    expect((await list(b.orgId)).every((r) => r.position > a.positions.annRemoved)).toBe(true);
  });
});
