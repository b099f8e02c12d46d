import type pg from 'pg';
import { type ChatMessagePosted } from '../../libs/domain/chat/chat.events.js';
import { READ_MODEL_SCHEMA, setTenant, tenantTableSql } from '../../libs/persistence/index.js';
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

/** A message as a row of {@link MESSAGES_TABLE}, in column order. */
type MessageRow = [
  chatId: string,
  messageId: string,
  authorId: string,
  body: string,
  postedAt: string,
  position: string,
];

function rowOf({ data, ref }: ProjectedEvent<ChatMessagePosted['data']>): MessageRow {
  return [data.chatId, data.messageId, data.authorId, data.body, ref.occurredAt, ref.position];
}

/** One statement for any number of one org's messages: one round trip per org and batch. */
async function insertMessages(client: pg.ClientBase, orgId: string, rows: readonly MessageRow[]) {
  const column = (index: number) => rows.map((row) => row[index]);
  await client.query(
    `INSERT INTO ${MESSAGES_TABLE} (org_id, chat_id, message_id, author_id, body, posted_at, position)
     SELECT $1, chat_id, message_id, author_id, body, posted_at, position
     FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[], $7::text[])
       AS m(chat_id, message_id, author_id, body, posted_at, position)`,
    [orgId, ...[0, 1, 2, 3, 4, 5].map(column)],
  );
}

/**
 * Messages of chats (DESIGN.md §5: appended to a stream of their own).
 * Deleting a chat leaves its messages here: a deleted chat answers 404 on
 * every route before its messages are read (projections/chats).
 *
 * A batch holds its messages and inserts them at its end, one statement per
 * org: no other event writes this table, so the order of the inserts within
 * a batch cannot change what it holds.
 */
export const messagesProjection: Projection = {
  name: 'messages',
  version: 1,
  schemaSql,
  tables: [MESSAGES_TABLE],
  async apply(client, event) {
    if (event.type !== 'ChatMessagePosted') return;
    const message = event as ProjectedEvent<ChatMessagePosted['data']>;
    await insertMessages(client, message.data.orgId, [rowOf(message)]);
  },
  batch() {
    const byOrg = new Map<string, MessageRow[]>();
    return {
      async apply(_client, event) {
        if (event.type !== 'ChatMessagePosted') return;
        const message = event as ProjectedEvent<ChatMessagePosted['data']>;
        const rows = byOrg.get(message.data.orgId) ?? [];
        rows.push(rowOf(message));
        byOrg.set(message.data.orgId, rows);
      },
      async finish(client) {
        // Sent without waiting for each other: on the runner's pipelining session they leave in
        // one round trip (with BEGIN, for a batch that opens its transaction here), and Postgres
        // runs each insert under the tenant the statement before it set.
        const statements = [...byOrg].flatMap(([orgId, rows]) => [
          setTenant(client, orgId),
          insertMessages(client, orgId, rows),
        ]);
        byOrg.clear();
        await Promise.all(statements);
      },
    };
  },
};
