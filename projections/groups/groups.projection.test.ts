import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type OrgRole } from '../../libs/authz/policy.js';
import { streams } from '../../libs/domain/streams.js';
import { startProjectionHarness, type ProjectionHarness } from '../../test/support/projection-harness.js';
import { organizationsProjection } from '../organizations/organizations.projection.js';
import { allPages } from '../testing/all-pages.js';
import { groupsProjection } from './groups.projection.js';
import { listGroups } from './groups.queries.js';

let harness: ProjectionHarness;

beforeAll(async () => {
  harness = await startProjectionHarness([organizationsProjection, groupsProjection]);
});

afterAll(async () => {
  await harness?.close();
});

async function createOrg(ownerId = randomUUID()): Promise<string> {
  const orgId = randomUUID();
  const slug = `org-${randomBytes(4).toString('hex')}`;
  await harness.append(
    streams.organization(orgId),
    [
      { type: 'OrganizationCreated', data: { orgId, slug, name: slug, createdBy: ownerId } },
      { type: 'OrgMemberAdded', data: { orgId, userId: ownerId, role: 'owner' } },
    ],
    orgId,
  );
  return orgId;
}

const joinOrg = (orgId: string, userId: string, role: OrgRole = 'member') =>
  harness.append(
    streams.organization(orgId),
    [{ type: 'OrgMemberAdded', data: { orgId, userId, role } }],
    orgId,
  );

const leaveOrg = (orgId: string, userId: string, previousRole: OrgRole = 'member') =>
  harness.append(
    streams.organization(orgId),
    [{ type: 'OrgMemberRemoved', data: { orgId, userId, previousRole } }],
    orgId,
  );

async function createGroup(orgId: string, name: string): Promise<string> {
  const groupId = randomUUID();
  await harness.append(
    streams.group(orgId, groupId),
    [{ type: 'GroupCreated', data: { orgId, groupId, name } }],
    orgId,
  );
  return groupId;
}

const addToGroup = (orgId: string, groupId: string, userId: string) =>
  harness.append(
    streams.group(orgId, groupId),
    [{ type: 'GroupMemberAdded', data: { orgId, groupId, userId } }],
    orgId,
  );

const removeFromGroup = (orgId: string, groupId: string, userId: string) =>
  harness.append(
    streams.group(orgId, groupId),
    [{ type: 'GroupMemberRemoved', data: { orgId, groupId, userId } }],
    orgId,
  );

const deleteGroup = (orgId: string, groupId: string) =>
  harness.append(streams.group(orgId, groupId), [{ type: 'GroupDeleted', data: { orgId, groupId } }], orgId);

const groupsOf = (orgId: string) =>
  harness.read({ orgId }, (client) => listGroups(client, orgId, { limit: 200, after: null }));

/** Raw rows visible in a scope: what a query that forgot its filters would see. */
const rawRows = (scope: { orgId?: string; userId?: string }, table: 'groups' | 'group_members') =>
  harness.read(scope, async (client) => {
    const { rows } = await client.query<{
      org_id: string;
      group_id: string;
      user_id?: string;
      since_position?: string;
    }>(`SELECT * FROM read_model.${table}`);
    return rows;
  });

describe('groups projection', () => {
  it('projects groups and their members, each with the event that added them', async () => {
    const orgId = await createOrg();
    const [ann, ben] = [randomUUID(), randomUUID()];
    await joinOrg(orgId, ann);
    await joinOrg(orgId, ben);
    const groupId = await createGroup(orgId, 'Design');
    const addedAnn = await addToGroup(orgId, groupId, ann);
    await addToGroup(orgId, groupId, ben);
    await harness.project();

    expect(await groupsOf(orgId)).toEqual({
      items: [{ id: groupId, name: 'Design', memberCount: 2 }],
      next: null,
    });
    expect((await rawRows({ orgId }, 'group_members')).find((row) => row.user_id === ann)).toMatchObject({
      group_id: groupId,
      since_position: addedAnn,
    });

    await removeFromGroup(orgId, groupId, ben);
    await harness.project();
    expect((await groupsOf(orgId)).items[0]?.memberCount).toBe(1);
    expect((await rawRows({ orgId }, 'group_members')).map((row) => row.user_id)).toEqual([ann]);
  });

  it('keeps the group membership of a user who left the org, counting it again once they are back', async () => {
    const orgId = await createOrg();
    const cat = randomUUID();
    await joinOrg(orgId, cat);
    const groupId = await createGroup(orgId, 'Ops');
    await addToGroup(orgId, groupId, cat);
    await leaveOrg(orgId, cat);
    await harness.project();
    expect((await groupsOf(orgId)).items[0]?.memberCount).toBe(0);
    expect((await rawRows({ orgId }, 'group_members')).map((row) => row.user_id)).toEqual([cat]);

    await joinOrg(orgId, cat, 'auditor');
    await harness.project();
    expect((await groupsOf(orgId)).items[0]?.memberCount).toBe(1);
  });

  it('deletes a deleted group and its memberships, leaving the other groups be', async () => {
    const orgId = await createOrg();
    const dan = randomUUID();
    await joinOrg(orgId, dan);
    const doomed = await createGroup(orgId, 'Doomed');
    const kept = await createGroup(orgId, 'Kept');
    await addToGroup(orgId, doomed, dan);
    await addToGroup(orgId, kept, dan);
    await deleteGroup(orgId, doomed);
    await harness.project();

    expect(await groupsOf(orgId)).toEqual({
      items: [{ id: kept, name: 'Kept', memberCount: 1 }],
      next: null,
    });
    expect((await rawRows({ orgId }, 'group_members')).map((row) => row.group_id)).toEqual([kept]);
  });

  it('pages through groups in creation order, never skipping or repeating one', async () => {
    const orgId = await createOrg();
    const created: string[] = [];
    for (let i = 0; i < 6; i++) created.push(await createGroup(orgId, `Group ${i}`));
    await deleteGroup(orgId, created[1]!);
    await createGroup(await createOrg(), 'Elsewhere');
    await harness.project();

    const pages = await allPages(2, (page) =>
      harness.read({ orgId }, (client) => listGroups(client, orgId, page)),
    );
    expect(pages.map((items) => items.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((group) => group.id)).toEqual(created.filter((_, i) => i !== 1));
  });

  it("never shows org A's tenant org B's groups or memberships", async () => {
    const both = randomUUID();
    const a = await createOrg(both);
    const b = await createOrg(both);
    const groupA = await createGroup(a, 'A');
    const groupB = await createGroup(b, 'B');
    await addToGroup(a, groupA, both);
    await addToGroup(b, groupB, both);
    await harness.project();

    for (const scope of [{ orgId: a }, { orgId: a, userId: both }]) {
      expect((await rawRows(scope, 'groups')).map((row) => row.org_id)).toEqual([a]);
      expect((await rawRows(scope, 'group_members')).map((row) => row.org_id)).toEqual([a]);
      expect(
        await harness.read(scope, (client) => listGroups(client, b, { limit: 50, after: null })),
      ).toEqual({
        items: [],
        next: null,
      });
    }
    // The member_self policies of the organizations projection open nothing here.
    expect(await rawRows({ userId: both }, 'groups')).toEqual([]);
    expect(await rawRows({ userId: both }, 'group_members')).toEqual([]);
  });
});
