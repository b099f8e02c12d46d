import type pg from 'pg';
import { ACCESS_POLICY, type WorkspaceRole } from '../../libs/authz/policy.js';
import { isUuid } from '../../libs/domain/kernel/index.js';
import { type Page, type PageRequest, toPage } from '../page.js';
import { WORKSPACE_MEMBERS_TABLE, WORKSPACES_TABLE } from './workspaces.projection.js';

/**
 * Who is looking, and what decides which workspaces they see. The caller
 * has already established that `userId` is a member of `orgId` (in the same
 * snapshot: resolveOrgMembership), which is where `seesAll` and
 * `workspaceSharingDisabled` come from.
 */
export interface WorkspaceViewer {
  readonly orgId: string;
  readonly userId: string;
  /** The caller is an org owner or admin, who act as admins on every workspace (DESIGN.md §5). */
  readonly seesAll: boolean;
  /** The org's setting: while on, only the policy's kept roles (owners) count. */
  readonly workspaceSharingDisabled: boolean;
}

export interface WorkspaceItem {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  /** ISO-8601 time of the WorkspaceArchived event while archived; null otherwise. */
  readonly archivedAt: string | null;
  /**
   * The caller's own workspace role if it counts now; null when they see the
   * workspace only as an org owner or admin (or hold a role that does not
   * count while `workspaceSharingDisabled` is on).
   */
  readonly role: WorkspaceRole | null;
}

interface WorkspaceRow {
  workspace_id: string;
  slug: string;
  name: string;
  archived_at: Date | null;
  role: WorkspaceRole | null;
}

/**
 * The workspaces a viewer can see, in SQL: the same rule as
 * libs/domain/workspace/workspace.access.ts (`canSeeWorkspace`,
 * `countedWorkspaceRole`), which workspaces.visibility.test.ts holds it to.
 * A membership counts unless `workspaceSharingDisabled` is on and its role
 * is not one the access policy keeps then; non-counting memberships give
 * neither visibility nor a role (the repo's reading of DESIGN.md §5, README
 * "Route decisions"). `$1`–`$5` are the viewer's; `condition` may use `$6`…
 */
function visibleWorkspacesSql(condition: string, tail = ''): string {
  return `
    SELECT w.workspace_id, w.slug, w.name, w.archived_at, m.role
      FROM ${WORKSPACES_TABLE} w
      LEFT JOIN ${WORKSPACE_MEMBERS_TABLE} m
        ON m.org_id = w.org_id AND m.workspace_id = w.workspace_id AND m.user_id = $2
       AND (NOT $4::boolean OR m.role = ANY($5::text[]))
     WHERE w.org_id = $1 AND ($3::boolean OR m.role IS NOT NULL) AND ${condition}
     ${tail}`;
}

const viewerParams = (viewer: WorkspaceViewer) => [
  viewer.orgId,
  viewer.userId,
  viewer.seesAll,
  viewer.workspaceSharingDisabled,
  ACCESS_POLICY.workspaceRolesWhileSharingDisabled,
];

const toItem = (row: WorkspaceRow): WorkspaceItem => ({
  id: row.workspace_id,
  slug: row.slug,
  name: row.name,
  archivedAt: row.archived_at?.toISOString() ?? null,
  role: row.role,
});

/** The workspaces the viewer can see, by slug; archived ones only with `includeArchived`. */
export async function listVisibleWorkspaces(
  client: pg.ClientBase,
  query: WorkspaceViewer & { readonly includeArchived: boolean; readonly page: PageRequest },
): Promise<Page<WorkspaceItem>> {
  const { page } = query;
  const { rows } = await client.query<WorkspaceRow>(
    visibleWorkspacesSql(
      '($6::boolean OR w.archived_at IS NULL) AND ($7::text IS NULL OR w.slug > $7)',
      'ORDER BY w.slug LIMIT $8',
    ),
    [...viewerParams(query), query.includeArchived, page.after, page.limit + 1],
  );
  return toPage(rows, page, (row) => row.slug, toItem);
}

/**
 * The workspace named by `idOrSlug` (a UUID names the id, anything else the
 * slug) if the viewer can see it, archived or not; null when it is missing,
 * another org's, or not visible to them alike (one 404, DESIGN.md §5).
 */
export async function findVisibleWorkspace(
  client: pg.ClientBase,
  query: WorkspaceViewer & { readonly idOrSlug: string },
): Promise<WorkspaceItem | null> {
  const byId = isUuid(query.idOrSlug);
  const { rows } = await client.query<WorkspaceRow>(
    visibleWorkspacesSql(byId ? 'w.workspace_id = $6::uuid' : 'w.slug = $6'),
    [...viewerParams(query), byId ? query.idOrSlug.toLowerCase() : query.idOrSlug],
  );
  const row = rows[0];
  return row ? toItem(row) : null;
}
