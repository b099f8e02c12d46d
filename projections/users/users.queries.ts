import type pg from 'pg';
import { USER_SETTING } from '../../libs/persistence/index.js';
import { type Page, type PageRequest, toPage } from '../page.js';
import { API_TOKENS_TABLE, USERS_TABLE } from './users.projection.js';

export type UserStatus = 'active' | 'suspended';

/** What authentication needs to know about a presented token (DESIGN.md §4). */
export interface TokenLookup {
  readonly tokenId: string;
  readonly userId: string;
  readonly userStatus: UserStatus;
  readonly revoked: boolean;
}

export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly status: UserStatus;
  /** ISO-8601. */
  readonly registeredAt: string;
}

/** A token as its owner may list it: the prefix, never the hash. */
export interface TokenListItem {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  /** ISO-8601. */
  readonly issuedAt: string;
}

/** The token whose SHA-256 (hex) is `hash`, revoked or not, with its user's status; null when unknown. */
export async function findTokenByHash(
  client: pg.ClientBase | pg.Pool,
  hash: string,
): Promise<TokenLookup | null> {
  const { rows } = await client.query<{
    token_id: string;
    user_id: string;
    status: UserStatus;
    revoked: boolean;
  }>(
    `SELECT t.token_id, t.user_id, u.status, t.revoked_at IS NOT NULL AS revoked
       FROM ${API_TOKENS_TABLE} t
       JOIN ${USERS_TABLE} u ON u.user_id = t.user_id
      WHERE t.token_hash = $1`,
    [hash],
  );
  const row = rows[0];
  return row
    ? { tokenId: row.token_id, userId: row.user_id, userStatus: row.status, revoked: row.revoked }
    : null;
}

/**
 * Authentication as the first statement of a read transaction (the API's
 * request scope): the token whose SHA-256 (hex) is `hash`, as
 * {@link findTokenByHash} answers it, and, in the same statement, the
 * transaction's caller (`tenantry.user_id`) set to its user when the
 * projection accepts it: not revoked, user active, and the user the token
 * names (`claimedUserId`). Otherwise the caller is set to none, so the
 * statements after it in the transaction see no one's memberships. Null when
 * the projection does not know the hash.
 */
export async function authenticateCaller(
  client: pg.ClientBase,
  hash: string,
  claimedUserId: string,
): Promise<TokenLookup | null> {
  const { rows } = await client.query<{
    token_id: string | null;
    user_id: string | null;
    status: UserStatus | null;
    revoked: boolean | null;
  }>(
    `SELECT t.token_id, t.user_id, u.status, t.revoked_at IS NOT NULL AS revoked,
            set_config('${USER_SETTING}',
              CASE WHEN t.revoked_at IS NULL AND u.status = 'active' AND t.user_id = $2::uuid
                   THEN t.user_id::text ELSE '' END, true) AS caller
       FROM (SELECT 1) AS one
       LEFT JOIN (${API_TOKENS_TABLE} t JOIN ${USERS_TABLE} u ON u.user_id = t.user_id)
         ON t.token_hash = $1`,
    [hash, claimedUserId],
  );
  const row = rows[0];
  return row?.token_id
    ? { tokenId: row.token_id, userId: row.user_id!, userStatus: row.status!, revoked: row.revoked! }
    : null;
}

export async function getUser(client: pg.ClientBase, userId: string): Promise<UserView | null> {
  const { rows } = await client.query<{
    user_id: string;
    email: string;
    display_name: string;
    status: UserStatus;
    registered_at: Date;
  }>(`SELECT user_id, email, display_name, status, registered_at FROM ${USERS_TABLE} WHERE user_id = $1`, [
    userId,
  ]);
  const row = rows[0];
  return row
    ? {
        id: row.user_id,
        email: row.email,
        displayName: row.display_name,
        status: row.status,
        registeredAt: row.registered_at.toISOString(),
      }
    : null;
}

/** The user's unrevoked tokens in the order they were issued; the page key is the issuing position. */
export async function listActiveTokens(
  client: pg.ClientBase,
  userId: string,
  page: PageRequest,
): Promise<Page<TokenListItem>> {
  const { rows } = await client.query<{
    token_id: string;
    name: string;
    prefix: string;
    issued_at: Date;
    issued_position: string;
  }>(
    `SELECT token_id, name, prefix, issued_at, issued_position
       FROM ${API_TOKENS_TABLE}
      WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR issued_position > $2)
      ORDER BY issued_position
      LIMIT $3`,
    [userId, page.after, page.limit + 1],
  );
  return toPage(
    rows,
    page,
    (row) => row.issued_position,
    (row) => ({
      id: row.token_id,
      name: row.name,
      prefix: row.prefix,
      issuedAt: row.issued_at.toISOString(),
    }),
  );
}
