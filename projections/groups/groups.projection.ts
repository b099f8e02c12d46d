import type pg from 'pg';
import { type GroupEvent } from '../../libs/domain/group/group.events.js';
import { READ_MODEL_SCHEMA, tenantTableSql } from '../../libs/persistence/index.js';
import { type ProjectedEvent, type Projection } from '../../libs/projection-runtime/projection.js';

export const GROUPS_TABLE = `${READ_MODEL_SCHEMA}.groups`;
export const GROUP_MEMBERS_TABLE = `${READ_MODEL_SCHEMA}.group_members`;

/**
 * The org's live groups and their members, as recorded. A deleted group is
 * gone with its member rows (GroupDeleted is the only event of a deletion).
 * A user who leaves the org keeps their rows here, as the group's stream
 * does (libs/domain/group), and counts again if re-added to the org; what
 * such a membership grants is decided with the org membership, not here.
 * A member's `since_*` is their GroupMemberAdded, as libs/authz names it.
 */
const schemaSql = `
  CREATE TABLE ${GROUPS_TABLE} (
    org_id           uuid        NOT NULL,
    group_id         uuid        PRIMARY KEY,
    name             text        NOT NULL,
    created_position text        COLLATE "C" NOT NULL,
    created_at       timestamptz NOT NULL
  );
  CREATE UNIQUE INDEX groups_by_created ON ${GROUPS_TABLE} (org_id, created_position);
  ${tenantTableSql(GROUPS_TABLE)}

  CREATE TABLE ${GROUP_MEMBERS_TABLE} (
    org_id            uuid        NOT NULL,
    group_id          uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    since_event_id    uuid        NOT NULL,
    since_position    text        COLLATE "C" NOT NULL,
    since_occurred_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, group_id, user_id)
  );
  CREATE INDEX group_members_by_user ON ${GROUP_MEMBERS_TABLE} (org_id, user_id);
  ${tenantTableSql(GROUP_MEMBERS_TABLE)}`;

type Apply<E extends GroupEvent> = (client: pg.ClientBase, event: ProjectedEvent<E['data']>) => Promise<void>;

/** One entry per group event type: adding an event to GroupEvent without handling it here fails to compile. */
const handlers: { readonly [T in GroupEvent['type']]: Apply<Extract<GroupEvent, { type: T }>> } = {
  async GroupCreated(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${GROUPS_TABLE} (org_id, group_id, name, created_position, created_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [data.orgId, data.groupId, data.name, ref.position, ref.occurredAt],
    );
  },
  async GroupMemberAdded(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${GROUP_MEMBERS_TABLE}
         (org_id, group_id, user_id, since_event_id, since_position, since_occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (org_id, group_id, user_id) DO UPDATE
         SET since_event_id = excluded.since_event_id, since_position = excluded.since_position,
             since_occurred_at = excluded.since_occurred_at`,
      [data.orgId, data.groupId, data.userId, ref.eventId, ref.position, ref.occurredAt],
    );
  },
  async GroupMemberRemoved(client, { data }) {
    await client.query(
      `DELETE FROM ${GROUP_MEMBERS_TABLE} WHERE org_id = $1 AND group_id = $2 AND user_id = $3`,
      [data.orgId, data.groupId, data.userId],
    );
  },
  async GroupDeleted(client, { data }) {
    await client.query(`DELETE FROM ${GROUP_MEMBERS_TABLE} WHERE org_id = $1 AND group_id = $2`, [
      data.orgId,
      data.groupId,
    ]);
    await client.query(`DELETE FROM ${GROUPS_TABLE} WHERE org_id = $1 AND group_id = $2`, [
      data.orgId,
      data.groupId,
    ]);
  },
};

/** Groups of an org (DESIGN.md §5 Group) and their members. */
export const groupsProjection: Projection = {
  name: 'groups',
  version: 1,
  schemaSql,
  tables: [GROUPS_TABLE, GROUP_MEMBERS_TABLE],
  async apply(client, event) {
    // Events of every other stream reach this projection too; it ignores them.
    if (!Object.hasOwn(handlers, event.type)) return;
    const apply = handlers[event.type as GroupEvent['type']] as Apply<GroupEvent>;
    await apply(client, event as ProjectedEvent<GroupEvent['data']>);
  },
};
