import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type OrgRole } from '../../libs/authz/policy.js';
import { streams } from '../../libs/domain/streams.js';
import { collect } from '../../test/event-store/event-fixtures.js';
import { startProjectionHarness, type ProjectionHarness } from '../../test/support/projection-harness.js';
import { allPages } from '../testing/all-pages.js';
import { usersProjection } from '../users/users.projection.js';
import { organizationsProjection } from './organizations.projection.js';
import { getOrg, listMembers, listOrgsOfUser, resolveOrgMembership } from './organizations.queries.js';

let harness: ProjectionHarness;

beforeAll(async () => {
  harness = await startProjectionHarness([usersProjection, organizationsProjection]);
});

afterAll(async () => {
  await harness?.close();
});

const uniqueSlug = (stem: string) => `${stem}-${randomBytes(4).toString('hex')}`;

async function register(displayName: string): Promise<string> {
  const userId = randomUUID();
  await harness.append(streams.user(userId), [
    { type: 'UserRegistered', data: { userId, email: `${userId}@example.com`, displayName } },
  ]);
  return userId;
}

async function createOrg(
  ownerId: string,
  slug = uniqueSlug('org'),
): Promise<{ orgId: string; slug: string }> {
  const orgId = randomUUID();
  await harness.append(
    streams.organization(orgId),
    [
      { type: 'OrganizationCreated', data: { orgId, slug, name: `Org ${slug}`, createdBy: ownerId } },
      { type: 'OrgMemberAdded', data: { orgId, userId: ownerId, role: 'owner' } },
    ],
    orgId,
  );
  return { orgId, slug };
}

const addMember = (orgId: string, userId: string, role: OrgRole) =>
  harness.append(
    streams.organization(orgId),
    [{ type: 'OrgMemberAdded', data: { orgId, userId, role } }],
    orgId,
  );

const changeRole = (orgId: string, userId: string, role: OrgRole, previousRole: OrgRole) =>
  harness.append(
    streams.organization(orgId),
    [{ type: 'MemberRoleChanged', data: { scope: 'organization', orgId, userId, role, previousRole } }],
    orgId,
  );

const removeMember = (orgId: string, userId: string, previousRole: OrgRole) =>
  harness.append(
    streams.organization(orgId),
    [{ type: 'OrgMemberRemoved', data: { orgId, userId, previousRole } }],
    orgId,
  );

/** The raw membership rows visible in a scope: what a query that forgot its filters would see. */
const memberRows = (scope: { orgId?: string; userId?: string }) =>
  harness.read(scope, async (client) => {
    const { rows } = await client.query<{
      org_id: string;
      user_id: string;
      role: string;
      added_position: string;
      since_position: string;
    }>('SELECT * FROM read_model.org_members ORDER BY added_position');
    return rows;
  });

const orgRows = (scope: { orgId?: string; userId?: string }) =>
  harness.read(scope, async (client) => {
    const { rows } = await client.query<{ org_id: string }>('SELECT org_id FROM read_model.organizations');
    return rows.map((row) => row.org_id).sort();
  });

describe('organizations projection', () => {
  it('projects a created org with default settings and its owner', async () => {
    const owner = await register('Olga');
    const { orgId, slug } = await createOrg(owner);
    await harness.project();

    expect(await harness.read({ orgId }, (client) => getOrg(client, orgId))).toEqual({
      id: orgId,
      slug,
      name: `Org ${slug}`,
      settings: { chatSharingDisabled: false, workspaceSharingDisabled: false },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const expected = {
      orgId,
      slug,
      name: `Org ${slug}`,
      role: 'owner',
      settings: { chatSharingDisabled: false, workspaceSharingDisabled: false },
    };
    const resolve = (idOrSlug: string) =>
      harness.read({ userId: owner }, (client) => resolveOrgMembership(client, idOrSlug, owner));
    expect(await resolve(orgId)).toEqual(expected);
    expect(await resolve(orgId.toUpperCase())).toEqual(expected);
    expect(await resolve(slug)).toEqual(expected);
    expect(await resolve(randomUUID())).toBeNull();
    expect(await resolve(uniqueSlug('missing'))).toBeNull();
  });

  it('records the event behind the current role, follows role changes and ignores workspace ones', async () => {
    const owner = await register('Olga');
    const bob = await register('Bob');
    const { orgId } = await createOrg(owner);
    const added = await addMember(orgId, bob, 'member');
    await harness.project();
    expect((await memberRows({ orgId })).find((row) => row.user_id === bob)).toMatchObject({
      role: 'member',
      added_position: added,
      since_position: added,
    });

    const changed = await changeRole(orgId, bob, 'admin', 'member');
    // The same event type, scoped to a workspace of the org: not an org role.
    await harness.append(
      streams.workspace(orgId, randomUUID()),
      [
        {
          type: 'MemberRoleChanged',
          data: {
            scope: 'workspace',
            orgId,
            workspaceId: randomUUID(),
            userId: bob,
            role: 'viewer',
            previousRole: 'owner',
          },
        },
      ],
      orgId,
    );
    await harness.project();
    expect((await memberRows({ orgId })).find((row) => row.user_id === bob)).toMatchObject({
      role: 'admin',
      added_position: added,
      since_position: changed,
    });
    const recorded = (
      await collect(harness.eventStore.readAll({ streamPrefix: streams.tenantPrefix(orgId) }))
    ).find((event) => event.position === changed)!;
    const { rows } = await harness.read({ orgId }, (client) =>
      client.query<{ since_event_id: string; since_occurred_at: Date }>(
        'SELECT since_event_id, since_occurred_at FROM read_model.org_members WHERE user_id = $1',
        [bob],
      ),
    );
    expect(rows[0]?.since_event_id).toBe(recorded.metadata.eventId);
    expect(rows[0]?.since_occurred_at.toISOString()).toBe(recorded.metadata.occurredAt);
  });

  it('deletes a removed member, and a re-added one joins anew with the new role', async () => {
    const owner = await register('Olga');
    const bob = await register('Bob');
    const { orgId, slug } = await createOrg(owner);
    await addMember(orgId, bob, 'admin');
    await removeMember(orgId, bob, 'admin');
    await harness.project();
    expect((await memberRows({ orgId })).map((row) => row.user_id)).toEqual([owner]);
    expect(
      await harness.read({ userId: bob }, (client) => resolveOrgMembership(client, slug, bob)),
    ).toBeNull();
    expect(
      await harness.read({ userId: bob }, (client) =>
        listOrgsOfUser(client, bob, { limit: 10, after: null }),
      ),
    ).toEqual({ items: [], next: null });

    const readded = await addMember(orgId, bob, 'auditor');
    await harness.project();
    expect((await memberRows({ orgId })).at(-1)).toMatchObject({
      user_id: bob,
      role: 'auditor',
      added_position: readded,
      since_position: readded,
    });
    expect(
      (await harness.read({ userId: bob }, (client) => resolveOrgMembership(client, slug, bob)))?.role,
    ).toBe('auditor');
  });

  it('follows settings changes', async () => {
    const owner = await register('Olga');
    const { orgId, slug } = await createOrg(owner);
    await harness.append(
      streams.organization(orgId),
      [
        {
          type: 'OrgSettingsChanged',
          data: {
            orgId,
            settings: { chatSharingDisabled: true, workspaceSharingDisabled: false },
            previous: { chatSharingDisabled: false, workspaceSharingDisabled: false },
          },
        },
        {
          type: 'OrgSettingsChanged',
          data: {
            orgId,
            settings: { chatSharingDisabled: true, workspaceSharingDisabled: true },
            previous: { chatSharingDisabled: true, workspaceSharingDisabled: false },
          },
        },
      ],
      orgId,
    );
    await harness.project();
    const settings = { chatSharingDisabled: true, workspaceSharingDisabled: true };
    expect((await harness.read({ orgId }, (client) => getOrg(client, orgId)))?.settings).toEqual(settings);
    expect(
      (await harness.read({ userId: owner }, (client) => resolveOrgMembership(client, slug, owner)))
        ?.settings,
    ).toEqual(settings);
  });

  it('pages through members in joining order with display names and never emails', async () => {
    const owner = await register('Olga');
    const { orgId } = await createOrg(owner);
    const joined = [owner];
    for (let i = 0; i < 6; i++) {
      const userId = await register(`Member ${i}`);
      await addMember(orgId, userId, i % 2 ? 'member' : 'auditor');
      joined.push(userId);
    }
    await removeMember(orgId, joined[2]!, 'member');
    await harness.project();

    const pages = await allPages(2, (page) =>
      harness.read({ orgId }, (client) => listMembers(client, orgId, page)),
    );
    expect(pages.map((items) => items.length)).toEqual([2, 2, 2]);
    const members = pages.flat();
    expect(members.map((member) => member.userId)).toEqual(joined.filter((_, i) => i !== 2));
    expect(members[0]).toEqual({ userId: owner, displayName: 'Olga', role: 'owner' });
    expect(members[1]).toEqual({ userId: joined[1], displayName: 'Member 0', role: 'auditor' });
    expect(JSON.stringify(members)).not.toContain('@example.com');
  });

  it('pages through the orgs of a user by slug', async () => {
    const user = await register('Uma');
    const prefix = uniqueSlug('u');
    const slugs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const owner = await register('Owner');
      const { orgId, slug } = await createOrg(owner, `${prefix}-${4 - i}`);
      await addMember(orgId, user, i === 0 ? 'admin' : 'member');
      slugs.push(slug);
    }
    await createOrg(await register('Other'), `${prefix}-other`);
    await harness.project();

    const pages = await allPages(2, (page) =>
      harness.read({ userId: user }, (client) => listOrgsOfUser(client, user, page)),
    );
    expect(pages.map((items) => items.length)).toEqual([2, 2, 1]);
    const orgs = pages.flat();
    expect(orgs.map((org) => org.slug)).toEqual([...slugs].sort());
    expect(orgs.find((org) => org.slug === `${prefix}-4`)?.role).toBe('admin');
  });

  describe('row-level security', () => {
    it("never shows org A's tenant org B's rows, even to a member of both", async () => {
      const both = await register('Both');
      const a = await createOrg(both);
      const b = await createOrg(await register('B owner'));
      await addMember(b.orgId, both, 'member');
      await harness.project();

      for (const scope of [{ orgId: a.orgId }, { orgId: a.orgId, userId: both }]) {
        expect(await orgRows(scope)).toEqual([a.orgId]);
        const members = await memberRows(scope);
        expect(members.map((row) => row.org_id)).toEqual([a.orgId]);
        expect(await harness.read(scope, (client) => getOrg(client, b.orgId))).toBeNull();
        expect(
          await harness.read(scope, (client) => listMembers(client, b.orgId, { limit: 50, after: null })),
        ).toEqual({ items: [], next: null });
      }
    });

    it('shows a user with no tenant their own memberships and orgs, and nobody else’s', async () => {
      const uma = await register('Uma');
      const bob = await register('Bob');
      const a = await createOrg(uma);
      const b = await createOrg(bob);
      await addMember(b.orgId, uma, 'member');
      const c = await createOrg(bob);
      await harness.project();

      const umaRows = await memberRows({ userId: uma });
      expect(umaRows.map((row) => [row.org_id, row.user_id]).sort()).toEqual(
        [
          [a.orgId, uma],
          [b.orgId, uma],
        ].sort(),
      );
      expect(await orgRows({ userId: uma })).toEqual([a.orgId, b.orgId].sort());
      // Bob's memberships of B and C are his: Uma's scope cannot reach them, even by asking for them.
      expect(
        await harness.read({ userId: uma }, (client) =>
          listOrgsOfUser(client, bob, { limit: 50, after: null }),
        ),
      ).toEqual({ items: [], next: null });
      expect(
        await harness.read({ userId: uma }, (client) => resolveOrgMembership(client, c.orgId, bob)),
      ).toBeNull();
      expect(
        await harness.read({ userId: uma }, (client) => resolveOrgMembership(client, c.slug, uma)),
      ).toBeNull();
      // Neither a user nor a tenant: nothing at all.
      expect(await memberRows({})).toEqual([]);
      expect(await orgRows({})).toEqual([]);
    });
  });
});
