import type pg from 'pg';
import { type UserEvent } from '../../libs/domain/user/user.events.js';
import { platformTableSql, READ_MODEL_SCHEMA } from '../../libs/persistence/index.js';
import { type ProjectedEvent, type Projection } from '../../libs/projection-runtime/projection.js';

export const USERS_TABLE = `${READ_MODEL_SCHEMA}.users`;
export const API_TOKENS_TABLE = `${READ_MODEL_SCHEMA}.api_tokens`;

/**
 * Users are global (DESIGN.md §4), so both tables are platform tables: no
 * org_id, no row-level security. A token is stored as its SHA-256 hash and
 * its prefix only, as the event carries it. Positions are `COLLATE "C"` so
 * they sort as the log whatever the database's locale.
 */
const schemaSql = `
  CREATE TABLE ${USERS_TABLE} (
    user_id       uuid        PRIMARY KEY,
    email         text        NOT NULL,
    display_name  text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('active', 'suspended')),
    registered_at timestamptz NOT NULL
  );
  ${platformTableSql(USERS_TABLE)}

  CREATE TABLE ${API_TOKENS_TABLE} (
    token_id        uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL,
    name            text        NOT NULL,
    token_hash      text        NOT NULL UNIQUE,
    prefix          text        NOT NULL,
    issued_at       timestamptz NOT NULL,
    issued_position text        COLLATE "C" NOT NULL,
    revoked_at      timestamptz
  );
  CREATE INDEX api_tokens_active_by_user ON ${API_TOKENS_TABLE} (user_id, issued_position)
    WHERE revoked_at IS NULL;
  ${platformTableSql(API_TOKENS_TABLE)}`;

type Apply<E extends UserEvent> = (client: pg.ClientBase, event: ProjectedEvent<E['data']>) => Promise<void>;

/** One entry per user event type: adding an event to UserEvent without handling it here fails to compile. */
const handlers: { readonly [T in UserEvent['type']]: Apply<Extract<UserEvent, { type: T }>> } = {
  async UserRegistered(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${USERS_TABLE} (user_id, email, display_name, status, registered_at)
       VALUES ($1, $2, $3, 'active', $4)`,
      [data.userId, data.email, data.displayName, ref.occurredAt],
    );
  },
  async UserSuspended(client, { data }) {
    await client.query(`UPDATE ${USERS_TABLE} SET status = 'suspended' WHERE user_id = $1`, [data.userId]);
  },
  async UserReactivated(client, { data }) {
    await client.query(`UPDATE ${USERS_TABLE} SET status = 'active' WHERE user_id = $1`, [data.userId]);
  },
  async ApiTokenIssued(client, { data, ref }) {
    await client.query(
      `INSERT INTO ${API_TOKENS_TABLE} (token_id, user_id, name, token_hash, prefix, issued_at, issued_position)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [data.tokenId, data.userId, data.name, data.hash, data.prefix, ref.occurredAt, ref.position],
    );
  },
  async ApiTokenRevoked(client, { data, ref }) {
    // The first revocation's time stays: revoking twice changes nothing (the decider appends nothing either).
    await client.query(
      `UPDATE ${API_TOKENS_TABLE} SET revoked_at = $3
        WHERE token_id = $1 AND user_id = $2 AND revoked_at IS NULL`,
      [data.tokenId, data.userId, ref.occurredAt],
    );
  },
};

/** Users and their API tokens: who is registered, suspended, and which token hashes authenticate. */
export const usersProjection: Projection = {
  name: 'users',
  version: 1,
  schemaSql,
  tables: [USERS_TABLE, API_TOKENS_TABLE],
  async apply(client, event) {
    // Events of every other stream reach this projection too; it ignores them.
    if (!Object.hasOwn(handlers, event.type)) return;
    const apply = handlers[event.type as UserEvent['type']] as Apply<UserEvent>;
    await apply(client, event as ProjectedEvent<UserEvent['data']>);
  },
};
