import type pg from 'pg';
import { type OrgRole } from '../../libs/authz/policy.js';
import { isUuid } from '../../libs/domain/kernel/index.js';
import { type OrgSettings } from '../../libs/domain/organization/organization.events.js';
import { CURRENT_USER_SQL, TENANT_SETTING } from '../../libs/persistence/index.js';
import { type Page, type PageRequest, toPage } from '../page.js';
import { USERS_TABLE } from '../users/index.js';
import { ORG_MEMBERS_TABLE, ORGANIZATIONS_TABLE } from './organizations.projection.js';

/** An org as one of its members sees it in GET /v1/orgs. */
export interface OrgOfUser {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  /** The user's role in it. */
  readonly role: OrgRole;
}

/** The caller's membership of one org, with what reads inside the org need to decide. */
export interface OrgMembership {
  readonly orgId: string;
  readonly slug: string;
  readonly name: string;
  readonly role: OrgRole;
  readonly settings: OrgSettings;
}

export interface OrgView {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly settings: OrgSettings;
  /** ISO-8601. */
  readonly createdAt: string;
}

/** A member as other members see them: display name and role, never the email. */
export interface OrgMemberItem {
  readonly userId: string;
  /** Null only while the users projection has not yet caught up with the user's registration. */
  readonly displayName: string | null;
  readonly role: OrgRole;
}

interface OrgRow {
  org_id: string;
  slug: string;
  name: string;
  chat_sharing_disabled: boolean;
  workspace_sharing_disabled: boolean;
}

const settingsOf = (row: OrgRow): OrgSettings => ({
  chatSharingDisabled: row.chat_sharing_disabled,
  workspaceSharingDisabled: row.workspace_sharing_disabled,
});

/**
 * The orgs `userId` belongs to, by slug, with their role in each. Runs with
 * no tenant set and `tenantry.user_id` set to the same user (the
 * `member_self` policies), since it spans tenants.
 */
export async function listOrgsOfUser(
  client: pg.ClientBase,
  userId: string,
  page: PageRequest,
): Promise<Page<OrgOfUser>> {
  const { rows } = await client.query<{ org_id: string; slug: string; name: string; role: OrgRole }>(
    `SELECT o.org_id, o.slug, o.name, m.role
       FROM ${ORG_MEMBERS_TABLE} m
       JOIN ${ORGANIZATIONS_TABLE} o ON o.org_id = m.org_id
      WHERE m.user_id = $1 AND ($2::text IS NULL OR o.slug > $2)
      ORDER BY o.slug
      LIMIT $3`,
    [userId, page.after, page.limit + 1],
  );
  return toPage(
    rows,
    page,
    (row) => row.slug,
    (row) => ({ id: row.org_id, slug: row.slug, name: row.name, role: row.role }),
  );
}

/**
 * The org named by `idOrSlug` (a UUID names the id, anything else the slug,
 * DESIGN.md §10) if `userId` is a member of it; null when it does not exist
 * and when they are not a member alike, so callers answer both with the same
 * 404. Runs before a tenant is chosen, under the `member_self` policies.
 */
export async function resolveOrgMembership(
  client: pg.ClientBase,
  idOrSlug: string,
  userId: string,
): Promise<OrgMembership | null> {
  const byId = isUuid(idOrSlug);
  const { rows } = await client.query<OrgRow & { role: OrgRole }>(
    `SELECT o.org_id, o.slug, o.name, o.chat_sharing_disabled, o.workspace_sharing_disabled, m.role
       FROM ${ORGANIZATIONS_TABLE} o
       JOIN ${ORG_MEMBERS_TABLE} m ON m.org_id = o.org_id AND m.user_id = $2
      WHERE ${byId ? 'o.org_id = $1::uuid' : 'o.slug = $1'}`,
    [byId ? idOrSlug.toLowerCase() : idOrSlug, userId],
  );
  const row = rows[0];
  return row
    ? { orgId: row.org_id, slug: row.slug, name: row.name, role: row.role, settings: settingsOf(row) }
    : null;
}

/**
 * {@link resolveOrgMembership} for the transaction's caller (`tenantry.user_id`,
 * set by the statement before it, users `authenticateCaller`), which, in the
 * same statement, makes the org the transaction's tenant when the caller is a
 * member of it. When they are not (or no caller is set), nothing is returned
 * and no tenant is set: every tenant table then reads as empty. Runs before a
 * tenant is chosen, under the `member_self` policies.
 */
export async function enterOrg(client: pg.ClientBase, idOrSlug: string): Promise<OrgMembership | null> {
  const byId = isUuid(idOrSlug);
  const { rows } = await client.query<OrgRow & { role: OrgRole }>(
    `SELECT o.org_id, o.slug, o.name, o.chat_sharing_disabled, o.workspace_sharing_disabled, m.role,
            set_config('${TENANT_SETTING}', o.org_id::text, true) AS tenant
       FROM ${ORGANIZATIONS_TABLE} o
       JOIN ${ORG_MEMBERS_TABLE} m ON m.org_id = o.org_id AND m.user_id = ${CURRENT_USER_SQL}
      WHERE ${byId ? 'o.org_id = $1::uuid' : 'o.slug = $1'}`,
    [byId ? idOrSlug.toLowerCase() : idOrSlug],
  );
  const row = rows[0];
  return row
    ? { orgId: row.org_id, slug: row.slug, name: row.name, role: row.role, settings: settingsOf(row) }
    : null;
}

export async function getOrg(client: pg.ClientBase, orgId: string): Promise<OrgView | null> {
  const { rows } = await client.query<OrgRow & { created_at: Date }>(
    `SELECT org_id, slug, name, chat_sharing_disabled, workspace_sharing_disabled, created_at
       FROM ${ORGANIZATIONS_TABLE}
      WHERE org_id = $1`,
    [orgId],
  );
  const row = rows[0];
  return row
    ? {
        id: row.org_id,
        slug: row.slug,
        name: row.name,
        settings: settingsOf(row),
        createdAt: row.created_at.toISOString(),
      }
    : null;
}

/**
 * The org's members in the order they joined (a member removed and added
 * again counts from the re-adding), with display names from the users
 * projection. Reads: organizations, users.
 */
export async function listMembers(
  client: pg.ClientBase,
  orgId: string,
  page: PageRequest,
): Promise<Page<OrgMemberItem>> {
  const { rows } = await client.query<{
    user_id: string;
    display_name: string | null;
    role: OrgRole;
    added_position: string;
  }>(
    `SELECT m.user_id, u.display_name, m.role, m.added_position
       FROM ${ORG_MEMBERS_TABLE} m
       LEFT JOIN ${USERS_TABLE} u ON u.user_id = m.user_id
      WHERE m.org_id = $1 AND ($2::text IS NULL OR m.added_position > $2)
      ORDER BY m.added_position
      LIMIT $3`,
    [orgId, page.after, page.limit + 1],
  );
  return toPage(
    rows,
    page,
    (row) => row.added_position,
    (row) => ({ userId: row.user_id, displayName: row.display_name, role: row.role }),
  );
}
