import type pg from 'pg';
import { ACL_ROLES } from '../../libs/authz/policy.js';
import { type ChatEvent } from '../../libs/domain/chat/chat.events.js';
import { READ_MODEL_SCHEMA, tenantTableSql } from '../../libs/persistence/index.js';
import { type ProjectedEvent, type Projection } from '../../libs/projection-runtime/projection.js';

export const CHATS_TABLE = `${READ_MODEL_SCHEMA}.chats`;
export const CHAT_ACL_ENTRIES_TABLE = `${READ_MODEL_SCHEMA}.chat_acl_entries`;

const schemaSql = `
  CREATE TABLE ${CHATS_TABLE} (
    org_id           uuid        NOT NULL,
    chat_id          uuid        PRIMARY KEY,
    title            text        NOT NULL,
    -- ChatCreated.ownerId: the creator. A tree's owner is its root's (chats.queries.ts CHAT_PEOPLE_SQL)
    owner_id         uuid        NOT NULL,
    root_chat_id     uuid        NOT NULL,
    parent_chat_id   uuid,
    workspace_id     uuid,
    -- root first, parent last; empty for a root
    ancestor_ids     uuid[]      NOT NULL,
    created_position text        COLLATE "C" NOT NULL,
    created_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    CHECK ((parent_chat_id IS NULL) = (chat_id = root_chat_id)),
    CHECK ((parent_chat_id IS NULL) = (cardinality(ancestor_ids) = 0))
  );
  CREATE UNIQUE INDEX chats_org_created_position_idx ON ${CHATS_TABLE} (org_id, created_position);
  -- ChatDeleted finds a subtree by its ancestor
  CREATE INDEX chats_ancestor_ids_idx ON ${CHATS_TABLE} USING gin (ancestor_ids);
  ${tenantTableSql(CHATS_TABLE)}

  CREATE TABLE ${CHAT_ACL_ENTRIES_TABLE} (
    org_id              uuid        NOT NULL,
    chat_id             uuid        NOT NULL,
    subject_kind        text        NOT NULL CHECK (subject_kind IN ('user', 'group')),
    subject_id          uuid        NOT NULL,
    role                text        NOT NULL CHECK (role IN (${ACL_ROLES.map((role) => `'${role}'`).join(', ')})),
    granted_event_id    uuid        NOT NULL,
    granted_position    text        COLLATE "C" NOT NULL,
    granted_occurred_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, chat_id, subject_kind, subject_id)
  );
  -- "which chats are shared with this user or group"
  CREATE INDEX chat_acl_entries_subject_idx ON ${CHAT_ACL_ENTRIES_TABLE} (org_id, subject_kind, subject_id);
  ${tenantTableSql(CHAT_ACL_ENTRIES_TABLE)}
`;

type ChatEventType = ChatEvent['type'];
type DataOf<Type extends ChatEventType> = Extract<ChatEvent, { type: Type }>['data'];
type Handler<Type extends ChatEventType> = (
  client: pg.ClientBase,
  event: ProjectedEvent<DataOf<Type>>,
) => Promise<void>;

/**
 * One entry per chat event type, so a new chat event fails to compile until
 * this projection says what it does with it.
 */
const handlers: { readonly [Type in ChatEventType]: Handler<Type> | 'ignored' } = {
  ChatCreated: createChat,
  async ChatRenamed(client, { data: { orgId, chatId, title } }) {
    await client.query(`UPDATE ${CHATS_TABLE} SET title = $3 WHERE org_id = $1 AND chat_id = $2`, [
      orgId,
      chatId,
      title,
    ]);
  },
  async ChatShared(client, { data: { orgId, chatId, subject, role }, ref }) {
    await client.query(
      `INSERT INTO ${CHAT_ACL_ENTRIES_TABLE}
         (org_id, chat_id, subject_kind, subject_id, role, granted_event_id, granted_position, granted_occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (org_id, chat_id, subject_kind, subject_id) DO UPDATE SET
         role = excluded.role,
         granted_event_id = excluded.granted_event_id,
         granted_position = excluded.granted_position,
         granted_occurred_at = excluded.granted_occurred_at`,
      [orgId, chatId, subject.kind, subject.id, role, ref.eventId, ref.position, ref.occurredAt],
    );
  },
  async ChatUnshared(client, { data: { orgId, chatId, subject } }) {
    await client.query(
      `DELETE FROM ${CHAT_ACL_ENTRIES_TABLE}
       WHERE org_id = $1 AND chat_id = $2 AND subject_kind = $3 AND subject_id = $4`,
      [orgId, chatId, subject.kind, subject.id],
    );
  },
  // The event names one chat; its subtree goes with it (chat.events.ts), so
  // every chat below it is marked here. ACL entries stay: the chat answers
  // as missing, and readers of the ACL table join `chats` to skip deleted ones.
  async ChatDeleted(client, { data: { orgId, chatId }, ref }) {
    await client.query(
      `UPDATE ${CHATS_TABLE} SET deleted_at = $3
       WHERE org_id = $1 AND (chat_id = $2 OR ancestor_ids @> ARRAY[$2::uuid]) AND deleted_at IS NULL`,
      [orgId, chatId, ref.occurredAt],
    );
  },
  // projections/messages
  ChatMessagePosted: 'ignored',
};

/**
 * A sub-chat takes its ancestors from its parent's row. Should the parent be
 * deleted already (the domain refuses that, but a projection must not
 * resurrect a hidden subtree), the new chat is born deleted with it. A parent
 * that is missing or in another tree means the log contradicts itself: the
 * projection fails at this event rather than guess (DESIGN.md §7).
 */
async function createChat(client: pg.ClientBase, { data, ref }: ProjectedEvent<DataOf<'ChatCreated'>>) {
  let ancestorIds: string[] = [];
  let deletedAt: Date | null = null;
  if (data.parentChatId !== null) {
    const { rows } = await client.query<{
      ancestor_ids: string[];
      root_chat_id: string;
      deleted_at: Date | null;
    }>(
      `SELECT ancestor_ids, root_chat_id, deleted_at FROM ${CHATS_TABLE} WHERE org_id = $1 AND chat_id = $2`,
      [data.orgId, data.parentChatId],
    );
    const parent = rows[0];
    if (!parent || parent.root_chat_id !== data.rootChatId) {
      throw new Error(
        `ChatCreated ${data.chatId} at ${ref.position}: parent ${data.parentChatId} is not a chat of ` +
          `org ${data.orgId} under root ${data.rootChatId}`,
      );
    }
    ancestorIds = [...parent.ancestor_ids, data.parentChatId];
    deletedAt = parent.deleted_at;
  }
  await client.query(
    `INSERT INTO ${CHATS_TABLE}
       (org_id, chat_id, title, owner_id, root_chat_id, parent_chat_id, workspace_id,
        ancestor_ids, created_position, created_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::uuid[], $9, $10, $11)`,
    [
      data.orgId,
      data.chatId,
      data.title,
      data.ownerId,
      data.rootChatId,
      data.parentChatId,
      data.workspaceId,
      ancestorIds,
      ref.position,
      ref.occurredAt,
      deletedAt,
    ],
  );
}

function isChatEvent(type: string): type is ChatEventType {
  return Object.hasOwn(handlers, type);
}

/**
 * Chats and their ACL entries (DESIGN.md §5 Chat): what GET …/chats/{id}
 * and GET …/acl answer from. A deleted chat keeps its row, marked
 * `deleted_at` together with its whole subtree, so queries treat a sub-chat
 * under a deleted chat as deleted without walking the tree.
 */
export const chatsProjection: Projection = {
  name: 'chats',
  version: 1,
  schemaSql,
  tables: [CHATS_TABLE, CHAT_ACL_ENTRIES_TABLE],
  async apply(client, event) {
    if (!isChatEvent(event.type)) return;
    const handler = handlers[event.type] as Handler<ChatEventType> | 'ignored';
    if (handler === 'ignored') return;
    await handler(client, event as ProjectedEvent<DataOf<ChatEventType>>);
  },
};
