import { platformTableSql, READ_MODEL_SCHEMA, tenantTableSql } from '../../../libs/persistence/tenancy.js';
import { type ProjectedEvent, type Projection } from '../../../libs/projection-runtime/projection.js';

/**
 * Test support (imported by tests only): a stand-in for the chats read model
 * (projections/chats) with the columns `listVisibleChats` joins, filled from
 * the same events by a tiny projection, and an empty users table for the
 * display names it joins (they show as null). Tables are created only where
 * missing, so a test that installs the real projections keeps its own.
 */
const CHATS = `${READ_MODEL_SCHEMA}.chats`;
const USERS = `${READ_MODEL_SCHEMA}.users`;

export const chatsStandIn: Projection = {
  name: 'chat-access-test-chats',
  version: 1,
  schemaSql: `
    DO $stand_in$ BEGIN
      IF to_regclass('${CHATS}') IS NULL THEN
        CREATE TABLE ${CHATS} (
          org_id           uuid        NOT NULL,
          chat_id          uuid        PRIMARY KEY,
          title            text        NOT NULL,
          owner_id         uuid        NOT NULL,
          root_chat_id     uuid        NOT NULL,
          parent_chat_id   uuid,
          workspace_id     uuid,
          ancestor_ids     uuid[]      NOT NULL,
          created_position text        COLLATE "C" NOT NULL,
          created_at       timestamptz NOT NULL,
          deleted_at       timestamptz
        );
        ${tenantTableSql(CHATS)}
      END IF;
      IF to_regclass('${USERS}') IS NULL THEN
        CREATE TABLE ${USERS} (user_id uuid PRIMARY KEY, display_name text NOT NULL);
        ${platformTableSql(USERS)}
      END IF;
    END $stand_in$;`,
  tables: [CHATS, USERS],
  async apply(client, event: ProjectedEvent) {
    const data = event.data as Record<string, string | null>;
    switch (event.type) {
      case 'ChatCreated':
        await client.query(
          `INSERT INTO ${CHATS} (org_id, chat_id, title, owner_id, root_chat_id, parent_chat_id, workspace_id,
             ancestor_ids, created_position, created_at)
           SELECT $1, $2, $3, $4, $5, $6, $7,
             coalesce((SELECT ancestor_ids || chat_id FROM ${CHATS} WHERE chat_id = $6), '{}'), $8, $9`,
          [
            data.orgId,
            data.chatId,
            data.title,
            data.ownerId,
            data.rootChatId,
            data.parentChatId,
            data.workspaceId,
            event.ref.position,
            event.ref.occurredAt,
          ],
        );
        return;
      case 'ChatRenamed':
        await client.query(`UPDATE ${CHATS} SET title = $2 WHERE chat_id = $1`, [data.chatId, data.title]);
        return;
      case 'ChatDeleted':
        await client.query(
          `UPDATE ${CHATS} SET deleted_at = $2
           WHERE (chat_id = $1 OR $1 = ANY(ancestor_ids)) AND deleted_at IS NULL`,
          [data.chatId, event.ref.occurredAt],
        );
        return;
      default:
        return;
    }
  },
};
