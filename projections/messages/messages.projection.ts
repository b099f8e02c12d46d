import { type ChatMessagePosted } from '../../libs/domain/chat/chat.events.js';
import { READ_MODEL_SCHEMA, tenantTableSql } from '../../libs/persistence/index.js';
import { type ProjectedEvent, type Projection } from '../../libs/projection-runtime/projection.js';

export const MESSAGES_TABLE = `${READ_MODEL_SCHEMA}.messages`;

/**
 * The primary key is also the list's order and cursor: a chat's messages by
 * log position, oldest first (projections/page.ts).
 */
const schemaSql = `
  CREATE TABLE ${MESSAGES_TABLE} (
    org_id     uuid        NOT NULL,
    chat_id    uuid        NOT NULL,
    message_id uuid        NOT NULL,
    author_id  uuid        NOT NULL,
    body       text        NOT NULL,
    posted_at  timestamptz NOT NULL,
    position   text        COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, chat_id, position)
  );
  ${tenantTableSql(MESSAGES_TABLE)}
`;

/**
 * Messages of chats (DESIGN.md §5: appended to a stream of their own).
 * Deleting a chat leaves its messages here: a deleted chat answers 404 on
 * every route before its messages are read (projections/chats).
 */
export const messagesProjection: Projection = {
  name: 'messages',
  version: 1,
  schemaSql,
  tables: [MESSAGES_TABLE],
  async apply(client, event) {
    if (event.type !== 'ChatMessagePosted') return;
    const { data, ref } = event as ProjectedEvent<ChatMessagePosted['data']>;
    await client.query(
      `INSERT INTO ${MESSAGES_TABLE} (org_id, chat_id, message_id, author_id, body, posted_at, position)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [data.orgId, data.chatId, data.messageId, data.authorId, data.body, ref.occurredAt, ref.position],
    );
  },
};
