import type pg from 'pg';
import { type OrgMemberRoleChanged } from '../../libs/domain/organization/organization.events.js';
import {
  type WorkspaceEvent,
  type WorkspaceMemberRoleChanged,
} from '../../libs/domain/workspace/workspace.events.js';
import { READ_MODEL_SCHEMA, tenantTableSql } from '../../libs/persistence/index.js';
import { type ProjectedEvent, type Projection } from '../../libs/projection-runtime/projection.js';

export const WORKSPACES_TABLE = `${READ_MODEL_SCHEMA}.workspaces`;
export const WORKSPACE_MEMBERS_TABLE = `${READ_MODEL_SCHEMA}.workspace_members`;

/**
 * Workspaces and their memberships as recorded. Workspaces are never
 * deleted, only archived (`archived_at` is the WorkspaceArchived event's
 * time) and unarchived. Memberships are stored whether they count right now
 * or not: a member who left the org, or a non-owner while
 * `workspaceSharingDisabled` is on, keeps their row, as the workspace's
 * stream does; the queries decide what counts (workspaces.queries.ts).
 * A member's `since_*` is the event that set their current role
 * (WorkspaceMemberAdded or MemberRoleChanged), as libs/authz names it.
 */
const schemaSql = `
  CREATE TABLE ${WORKSPACES_TABLE} (
    org_id           uuid        NOT NULL,
    workspace_id     uuid        PRIMARY KEY,
    slug             text        COLLATE "C" NOT NULL,
    name             text        NOT NULL,
    created_position text        COLLATE "C" NOT NULL,
    created_at       timestamptz NOT NULL,
    archived_at      timestamptz,
    UNIQUE (org_id, slug)
  );
  ${tenantTableSql(WORKSPACES_TABLE)}

  CREATE TABLE ${WORKSPACE_MEMBERS_TABLE} (
    org_id            uuid        NOT NULL,
    workspace_id      uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    role              text        NOT NULL,
    since_event_id    uuid        NOT NULL,
    since_position    text        COLLATE "C" NOT NULL,
    since_occurred_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, workspace_id, user_id)
  );
  CREATE INDEX workspace_members_by_user ON ${WORKSPACE_MEMBERS_TABLE} (org_id, user_id);
  ${tenantTableSql(WORKSPACE_MEMBERS_TABLE)}`;

type Handler<Data> = (client: pg.ClientBase, event: ProjectedEvent<Data>) => Promise<void>;
type DataOf<T extends WorkspaceEvent['type']> = Extract<WorkspaceEvent, { type: T }>['data'];

/**
 * One entry per workspace event type: adding an event to WorkspaceEvent
 * without handling it here fails to compile. `MemberRoleChanged` is shared
 * with organizations (DESIGN.md §6), so its handler sees both scopes and
 * keeps the workspace's.
 */
const handlers: {
  readonly [T in WorkspaceEvent['type']]: T extends 'MemberRoleChanged'
    ? Handler<WorkspaceMemberRoleChanged['data'] | OrgMemberRoleChanged['data']>
    : Handler<DataOf<T>>;
} = {
  async WorkspaceCreated(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${WORKSPACES_TABLE} (org_id, workspace_id, slug, name, created_position, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [data.orgId, data.workspaceId, data.slug, data.name, ref.position, ref.occurredAt],
    );
  },
  async WorkspaceMemberAdded(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${WORKSPACE_MEMBERS_TABLE}
         (org_id, workspace_id, user_id, role, since_event_id, since_position, since_occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (org_id, workspace_id, user_id) DO UPDATE
         SET role = excluded.role, since_event_id = excluded.since_event_id,
             since_position = excluded.since_position, since_occurred_at = excluded.since_occurred_at`,
      [data.orgId, data.workspaceId, data.userId, data.role, ref.eventId, ref.position, ref.occurredAt],
    );
  },
  async MemberRoleChanged(client, { data, ref }) {
    if (data.scope !== 'workspace') return;
    await client.query(
      `UPDATE ${WORKSPACE_MEMBERS_TABLE}
          SET role = $4, since_event_id = $5, since_position = $6, since_occurred_at = $7
        WHERE org_id = $1 AND workspace_id = $2 AND user_id = $3`,
      [data.orgId, data.workspaceId, data.userId, data.role, ref.eventId, ref.position, ref.occurredAt],
    );
  },
  async WorkspaceMemberRemoved(client, { data }) {
    await client.query(
      `DELETE FROM ${WORKSPACE_MEMBERS_TABLE} WHERE org_id = $1 AND workspace_id = $2 AND user_id = $3`,
      [data.orgId, data.workspaceId, data.userId],
    );
  },
  async WorkspaceArchived(client, { data, ref }) {
    await client.query(
      `UPDATE ${WORKSPACES_TABLE} SET archived_at = $3 WHERE org_id = $1 AND workspace_id = $2`,
      [data.orgId, data.workspaceId, ref.occurredAt],
    );
  },
  async WorkspaceUnarchived(client, { data }) {
    await client.query(
      `UPDATE ${WORKSPACES_TABLE} SET archived_at = NULL WHERE org_id = $1 AND workspace_id = $2`,
      [data.orgId, data.workspaceId],
    );
  },
};

/** Workspaces of an org (DESIGN.md §5 Workspace), whether they are archived, and their members. */
export const workspacesProjection: Projection = {
  name: 'workspaces',
  version: 1,
  schemaSql,
  tables: [WORKSPACES_TABLE, WORKSPACE_MEMBERS_TABLE],
  async apply(client, event) {
    // Events of every other stream reach this projection too; it ignores them.
    if (!Object.hasOwn(handlers, event.type)) return;
    const apply = handlers[event.type as WorkspaceEvent['type']] as Handler<unknown>;
    await apply(client, event);
  },
};
