import type pg from 'pg';
import {
  type OrganizationEvent,
  type OrgMemberRoleChanged,
} from '../../libs/domain/organization/organization.events.js';
import { type WorkspaceMemberRoleChanged } from '../../libs/domain/workspace/workspace.events.js';
import {
  CURRENT_TENANT_SQL,
  CURRENT_USER_SQL,
  READ_MODEL_SCHEMA,
  tenantTableSql,
} from '../../libs/persistence/index.js';
import { type ProjectedEvent, type Projection } from '../../libs/projection-runtime/projection.js';

export const ORGANIZATIONS_TABLE = `${READ_MODEL_SCHEMA}.organizations`;
export const ORG_MEMBERS_TABLE = `${READ_MODEL_SCHEMA}.org_members`;

/** Name of the SELECT-only policy that lets a user see their own memberships across tenants. */
export const MEMBER_SELF_POLICY = 'member_self';

/**
 * Organizations and their members. Both are tenant tables (`tenant_isolation`).
 *
 * A user must also see the orgs they belong to before any tenant is chosen
 * (GET /v1/orgs, resolving `{org}` by id or slug), so each table has a
 * second, SELECT-only policy, `member_self`: with `tenantry.user_id` set and
 * NO tenant set, a user sees their own membership rows and the orgs those
 * name, and never anyone else's membership. It requires the tenant to be
 * unset on purpose: once a tenant is chosen, only that tenant's rows are
 * visible, so the user setting never widens what a tenant-scoped read sees.
 *
 * A member's `since_*` is the event that set their current role
 * (OrgMemberAdded or MemberRoleChanged), as libs/authz reasons name it;
 * `added_position` is when they (last) joined, which orders member lists.
 */
const schemaSql = `
  CREATE TABLE ${ORGANIZATIONS_TABLE} (
    org_id                     uuid        PRIMARY KEY,
    slug                       text        COLLATE "C" NOT NULL UNIQUE,
    name                       text        NOT NULL,
    chat_sharing_disabled      boolean     NOT NULL,
    workspace_sharing_disabled boolean     NOT NULL,
    created_at                 timestamptz NOT NULL
  );
  ${tenantTableSql(ORGANIZATIONS_TABLE)}

  CREATE TABLE ${ORG_MEMBERS_TABLE} (
    org_id            uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    role              text        NOT NULL,
    added_position    text        COLLATE "C" NOT NULL,
    since_event_id    uuid        NOT NULL,
    since_position    text        COLLATE "C" NOT NULL,
    since_occurred_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id)
  );
  CREATE UNIQUE INDEX org_members_by_added ON ${ORG_MEMBERS_TABLE} (org_id, added_position);
  CREATE INDEX org_members_by_user ON ${ORG_MEMBERS_TABLE} (user_id);
  ${tenantTableSql(ORG_MEMBERS_TABLE)}

  CREATE POLICY ${MEMBER_SELF_POLICY} ON ${ORG_MEMBERS_TABLE} FOR SELECT
    USING (${CURRENT_TENANT_SQL} IS NULL AND user_id = ${CURRENT_USER_SQL});
  CREATE POLICY ${MEMBER_SELF_POLICY} ON ${ORGANIZATIONS_TABLE} FOR SELECT
    USING (${CURRENT_TENANT_SQL} IS NULL AND org_id IN (
      SELECT org_id FROM ${ORG_MEMBERS_TABLE} WHERE user_id = ${CURRENT_USER_SQL}));`;

type Handler<Data> = (client: pg.ClientBase, event: ProjectedEvent<Data>) => Promise<void>;
type DataOf<T extends OrganizationEvent['type']> = Extract<OrganizationEvent, { type: T }>['data'];

/**
 * One entry per organization event type: adding an event to
 * OrganizationEvent without handling it here fails to compile.
 * `MemberRoleChanged` is shared with workspaces (DESIGN.md §6), so its
 * handler sees both scopes and keeps the organization's.
 */
const handlers: {
  readonly [T in OrganizationEvent['type']]: T extends 'MemberRoleChanged'
    ? Handler<OrgMemberRoleChanged['data'] | WorkspaceMemberRoleChanged['data']>
    : Handler<DataOf<T>>;
} = {
  async OrganizationCreated(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${ORGANIZATIONS_TABLE}
         (org_id, slug, name, chat_sharing_disabled, workspace_sharing_disabled, created_at)
       VALUES ($1, $2, $3, false, false, $4)`,
      [data.orgId, data.slug, data.name, ref.occurredAt],
    );
  },
  async OrgMemberAdded(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${ORG_MEMBERS_TABLE}
         (org_id, user_id, role, added_position, since_event_id, since_position, since_occurred_at)
       VALUES ($1, $2, $3, $4, $5, $4, $6)
       ON CONFLICT (org_id, user_id) DO UPDATE
         SET role = excluded.role, since_event_id = excluded.since_event_id,
             since_position = excluded.since_position, since_occurred_at = excluded.since_occurred_at`,
      [data.orgId, data.userId, data.role, ref.position, ref.eventId, ref.occurredAt],
    );
  },
  async MemberRoleChanged(client, { data, ref }) {
    if (data.scope !== 'organization') return;
    await client.query(
      `UPDATE ${ORG_MEMBERS_TABLE}
          SET role = $3, since_event_id = $4, since_position = $5, since_occurred_at = $6
        WHERE org_id = $1 AND user_id = $2`,
      [data.orgId, data.userId, data.role, ref.eventId, ref.position, ref.occurredAt],
    );
  },
  async OrgMemberRemoved(client, { data }) {
    await client.query(`DELETE FROM ${ORG_MEMBERS_TABLE} WHERE org_id = $1 AND user_id = $2`, [
      data.orgId,
      data.userId,
    ]);
  },
  async OrgSettingsChanged(client, { data }) {
    await client.query(
      `UPDATE ${ORGANIZATIONS_TABLE}
          SET chat_sharing_disabled = $2, workspace_sharing_disabled = $3
        WHERE org_id = $1`,
      [data.orgId, data.settings.chatSharingDisabled, data.settings.workspaceSharingDisabled],
    );
  },
};

/** Organizations (tenants), their settings, and who is a member with which role. */
export const organizationsProjection: Projection = {
  name: 'organizations',
  version: 1,
  schemaSql,
  tables: [ORGANIZATIONS_TABLE, ORG_MEMBERS_TABLE],
  async apply(client, event) {
    // Events of every other stream reach this projection too; it ignores them.
    if (!Object.hasOwn(handlers, event.type)) return;
    const apply = handlers[event.type as OrganizationEvent['type']] as Handler<unknown>;
    await apply(client, event);
  },
};
