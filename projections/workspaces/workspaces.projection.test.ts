import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type WorkspaceRole } from '../../libs/authz/policy.js';
import { streams } from '../../libs/domain/streams.js';
import { collect } from '../../test/event-store/event-fixtures.js';
import { startProjectionHarness, type ProjectionHarness } from '../../test/support/projection-harness.js';
import { type PageRequest } from '../page.js';
import { allPages } from '../testing/all-pages.js';
import { workspacesProjection } from './workspaces.projection.js';
import { findVisibleWorkspace, listVisibleWorkspaces, type WorkspaceViewer } from './workspaces.queries.js';

let harness: ProjectionHarness;

beforeAll(async () => {
  harness = await startProjectionHarness([workspacesProjection]);
});

afterAll(async () => {
  await harness?.close();
});

async function createWorkspace(
  orgId: string,
  ownerId: string,
  slug = `ws-${randomBytes(4).toString('hex')}`,
): Promise<{ workspaceId: string; slug: string }> {
  const workspaceId = randomUUID();
  await harness.append(
    streams.workspace(orgId, workspaceId),
    [
      {
        type: 'WorkspaceCreated',
        data: { orgId, workspaceId, slug, name: `Workspace ${slug}`, createdBy: ownerId },
      },
      { type: 'WorkspaceMemberAdded', data: { orgId, workspaceId, userId: ownerId, role: 'owner' } },
    ],
    orgId,
  );
  return { workspaceId, slug };
}

const addMember = (orgId: string, workspaceId: string, userId: string, role: WorkspaceRole) =>
  harness.append(
    streams.workspace(orgId, workspaceId),
    [{ type: 'WorkspaceMemberAdded', data: { orgId, workspaceId, userId, role } }],
    orgId,
  );

const changeRole = (
  orgId: string,
  workspaceId: string,
  userId: string,
  role: WorkspaceRole,
  previousRole: WorkspaceRole,
) =>
  harness.append(
    streams.workspace(orgId, workspaceId),
    [
      {
        type: 'MemberRoleChanged',
        data: { scope: 'workspace', orgId, workspaceId, userId, role, previousRole },
      },
    ],
    orgId,
  );

const removeMember = (orgId: string, workspaceId: string, userId: string, previousRole: WorkspaceRole) =>
  harness.append(
    streams.workspace(orgId, workspaceId),
    [{ type: 'WorkspaceMemberRemoved', data: { orgId, workspaceId, userId, previousRole } }],
    orgId,
  );

const setArchived = (orgId: string, workspaceId: string, archived: boolean) =>
  harness.append(
    streams.workspace(orgId, workspaceId),
    [{ type: archived ? 'WorkspaceArchived' : 'WorkspaceUnarchived', data: { orgId, workspaceId } }],
    orgId,
  );

const viewer = (
  orgId: string,
  userId: string,
  seesAll = false,
  workspaceSharingDisabled = false,
): WorkspaceViewer => ({
  orgId,
  userId,
  seesAll,
  workspaceSharingDisabled,
});

const list = (
  who: WorkspaceViewer,
  includeArchived = false,
  page: PageRequest = { limit: 200, after: null },
) =>
  harness.read({ orgId: who.orgId, userId: who.userId }, (client) =>
    listVisibleWorkspaces(client, { ...who, includeArchived, page }),
  );

const find = (who: WorkspaceViewer, idOrSlug: string) =>
  harness.read({ orgId: who.orgId, userId: who.userId }, (client) =>
    findVisibleWorkspace(client, { ...who, idOrSlug }),
  );

const memberRows = (orgId: string) =>
  harness.read({ orgId }, async (client) => {
    const { rows } = await client.query<{
      user_id: string;
      role: string;
      since_position: string;
      since_event_id: string;
    }>('SELECT * FROM read_model.workspace_members ORDER BY since_position');
    return rows;
  });

describe('workspaces projection', () => {
  it('projects a workspace with its creator as owner, found by id or slug', async () => {
    const [orgId, owner] = [randomUUID(), randomUUID()];
    const { workspaceId, slug } = await createWorkspace(orgId, owner);
    await harness.project();

    const item = { id: workspaceId, slug, name: `Workspace ${slug}`, archivedAt: null, role: 'owner' };
    expect(await list(viewer(orgId, owner))).toEqual({ items: [item], next: null });
    expect(await find(viewer(orgId, owner), workspaceId)).toEqual(item);
    expect(await find(viewer(orgId, owner), workspaceId.toUpperCase())).toEqual(item);
    expect(await find(viewer(orgId, owner), slug)).toEqual(item);
    expect(await find(viewer(orgId, owner), randomUUID())).toBeNull();
    expect(await find(viewer(orgId, owner), 'no-such-workspace')).toBeNull();
  });

  it('follows role changes with the event behind them, ignores org ones, and deletes removed members', async () => {
    const [orgId, owner, bob] = [randomUUID(), randomUUID(), randomUUID()];
    const { workspaceId } = await createWorkspace(orgId, owner);
    await addMember(orgId, workspaceId, bob, 'viewer');
    const changed = await changeRole(orgId, workspaceId, bob, 'admin', 'viewer');
    // The same event type, scoped to the organization: not a workspace role.
    await harness.append(
      streams.organization(orgId),
      [
        {
          type: 'MemberRoleChanged',
          data: { scope: 'organization', orgId, userId: bob, role: 'auditor', previousRole: 'member' },
        },
      ],
      orgId,
    );
    await harness.project();

    const recorded = (
      await collect(harness.eventStore.readAll({ streamPrefix: streams.tenantPrefix(orgId) }))
    ).find((event) => event.position === changed)!;
    expect((await memberRows(orgId)).find((row) => row.user_id === bob)).toMatchObject({
      role: 'admin',
      since_position: changed,
      since_event_id: recorded.metadata.eventId,
    });
    expect((await find(viewer(orgId, bob), workspaceId))?.role).toBe('admin');

    await removeMember(orgId, workspaceId, bob, 'admin');
    await harness.project();
    expect((await memberRows(orgId)).map((row) => row.user_id)).toEqual([owner]);
    expect(await find(viewer(orgId, bob), workspaceId)).toBeNull();

    await addMember(orgId, workspaceId, bob, 'member');
    await harness.project();
    expect((await find(viewer(orgId, bob), workspaceId))?.role).toBe('member');
  });

  it('archives and unarchives: lists omit archived workspaces unless asked, find shows archivedAt', async () => {
    const [orgId, owner] = [randomUUID(), randomUUID()];
    const live = await createWorkspace(orgId, owner, `a-${randomBytes(4).toString('hex')}`);
    const archived = await createWorkspace(orgId, owner, `b-${randomBytes(4).toString('hex')}`);
    await setArchived(orgId, archived.workspaceId, true);
    await harness.project();

    const me = viewer(orgId, owner);
    expect((await list(me)).items.map((ws) => ws.id)).toEqual([live.workspaceId]);
    expect((await list(me, true)).items.map((ws) => ws.id)).toEqual([live.workspaceId, archived.workspaceId]);
    expect((await find(me, archived.slug))?.archivedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await find(viewer(orgId, randomUUID(), true), archived.workspaceId))?.archivedAt).toEqual(
      expect.any(String),
    );

    await setArchived(orgId, archived.workspaceId, false);
    await harness.project();
    expect((await list(me)).items.map((ws) => ws.id)).toEqual([live.workspaceId, archived.workspaceId]);
    expect((await find(me, archived.slug))?.archivedAt).toBeNull();
  });

  it('pages through visible workspaces by slug, never skipping or repeating one', async () => {
    const [orgId, owner, viewerId] = [randomUUID(), randomUUID(), randomUUID()];
    const slugs: string[] = [];
    for (let i = 0; i < 9; i++) {
      const { workspaceId, slug } = await createWorkspace(orgId, owner, `page-${8 - i}`);
      if (i % 3 === 0) continue; // not a member: never listed
      await addMember(orgId, workspaceId, viewerId, 'viewer');
      if (i === 4) await setArchived(orgId, workspaceId, true);
      else slugs.push(slug);
    }
    await harness.project();

    const pages = await allPages(2, (page) => list(viewer(orgId, viewerId), false, page));
    expect(pages.map((items) => items.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((ws) => ws.slug)).toEqual([...slugs].sort());

    const all = await allPages(4, (page) => list(viewer(orgId, viewerId, true), true, page));
    expect(all.map((items) => items.length)).toEqual([4, 4, 1]);
    expect(new Set(all.flat().map((ws) => ws.slug)).size).toBe(9);
  });

  it("never shows org A's tenant org B's workspaces, even under the same slug", async () => {
    const [a, b, user] = [randomUUID(), randomUUID(), randomUUID()];
    const inA = await createWorkspace(a, user, 'shared-slug');
    const inB = await createWorkspace(b, user, 'shared-slug');
    await harness.project();

    const raw = (table: string) =>
      harness.read({ orgId: a, userId: user }, async (client) => {
        const { rows } = await client.query<{ org_id: string }>(`SELECT org_id FROM read_model.${table}`);
        return rows.map((row) => row.org_id);
      });
    expect(await raw('workspaces')).toEqual([a]);
    expect(await raw('workspace_members')).toEqual([a]);

    // Even a query naming org B, run under A's tenant, finds nothing of B's.
    const bViewer = viewer(b, user, true);
    const underA = { orgId: a, userId: user };
    expect(
      await harness.read(underA, (client) =>
        listVisibleWorkspaces(client, {
          ...bViewer,
          includeArchived: true,
          page: { limit: 50, after: null },
        }),
      ),
    ).toEqual({ items: [], next: null });
    expect(
      await harness.read(underA, (client) =>
        findVisibleWorkspace(client, { ...bViewer, idOrSlug: inB.workspaceId }),
      ),
    ).toBeNull();
    // And A's viewer asking for B's workspace id gets nothing either.
    expect(await find(viewer(a, user, true), inB.workspaceId)).toBeNull();
    expect((await find(viewer(a, user), 'shared-slug'))?.id).toBe(inA.workspaceId);
  });
});
