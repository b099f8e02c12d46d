import type pg from 'pg';
import { READ_MODEL_SCHEMA } from '../../libs/persistence/index.js';
import { type Page, type PageRequest, toPage } from '../page.js';
import { MESSAGES_TABLE } from './messages.projection.js';

const USERS_TABLE = `${READ_MODEL_SCHEMA}.users`;

export interface MessageView {
  readonly id: string;
  /** Never the email (DESIGN.md §10); displayName is null only while the users read model lags. */
  readonly author: { readonly id: string; readonly displayName: string | null };
  readonly body: string;
  /** ISO-8601. */
  readonly postedAt: string;
}

/**
 * A page of a chat's messages, oldest first, keyed by log position. It
 * neither checks that the chat exists and is not deleted nor authorizes:
 * callers do both first.
 */
export async function listMessages(
  client: pg.ClientBase,
  orgId: string,
  chatId: string,
  page: PageRequest,
): Promise<Page<MessageView>> {
  const { rows } = await client.query<{
    message_id: string;
    author_id: string;
    display_name: string | null;
    body: string;
    posted_at: Date;
    position: string;
  }>(
    `SELECT m.message_id, m.author_id, u.display_name, m.body, m.posted_at, m.position
     FROM ${MESSAGES_TABLE} m
     LEFT JOIN ${USERS_TABLE} u ON u.user_id = m.author_id
     WHERE m.org_id = $1 AND m.chat_id = $2 AND ($3::text IS NULL OR m.position > $3)
     ORDER BY m.position
     LIMIT $4`,
    [orgId, chatId, page.after, page.limit + 1],
  );
  return toPage(
    rows,
    page,
    (row) => row.position,
    (row) => ({
      id: row.message_id,
      author: { id: row.author_id, displayName: row.display_name },
      body: row.body,
      postedAt: row.posted_at.toISOString(),
    }),
  );
}
