import type pg from 'pg';
import { APP_ROLE } from './roles.js';

/**
 * Row-level security for read models (DESIGN.md §7).
 *
 * Every read-model table that holds tenant data has `org_id`, and RLS
 * enabled AND forced on it with one policy, `tenant_isolation`: a row is
 * visible, and may be written, only while the transaction's tenant setting
 * names its org. Forced, so the table's owner (the role projectors write
 * as) is bound too: a projector applying org A's event cannot touch org B's
 * rows. The API's queries run as {@link APP_ROLE}, which owns nothing and
 * cannot bypass RLS, so a query that forgets `WHERE org_id` still sees one
 * tenant.
 */

/** Schema of every read-model table. */
export const READ_MODEL_SCHEMA = 'read_model';

/** The transaction-local setting naming the current tenant (an org id). */
export const TENANT_SETTING = 'tenantry.org_id';

/**
 * The transaction-local setting naming the calling user. It lets a user see
 * their own org memberships across tenants (GET /v1/orgs, resolving `{org}`)
 * through a second, SELECT-only policy on the membership tables; it never
 * widens what is visible inside a tenant.
 */
export const USER_SETTING = 'tenantry.user_id';

/** The current tenant in SQL: NULL (so no row matches) when unset. */
export const CURRENT_TENANT_SQL = `nullif(current_setting('${TENANT_SETTING}', true), '')::uuid`;

/** The calling user in SQL: NULL when unset. */
export const CURRENT_USER_SQL = `nullif(current_setting('${USER_SETTING}', true), '')::uuid`;

/** Name of the policy every tenant table carries (the RLS tests look for it). */
export const TENANT_POLICY = 'tenant_isolation';

/**
 * DDL that puts a tenant table under the tenant policy and lets the app role
 * read it. `table` is schema-qualified, from code, never from input.
 */
export function tenantTableSql(table: string): string {
  return `
    ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY ${TENANT_POLICY} ON ${table}
      USING (org_id = ${CURRENT_TENANT_SQL})
      WITH CHECK (org_id = ${CURRENT_TENANT_SQL});
    GRANT SELECT ON ${table} TO ${APP_ROLE};`;
}

/**
 * DDL for a platform table (users, token hashes: no tenant data, DESIGN.md
 * §7): readable by the app role, no RLS.
 */
export function platformTableSql(table: string): string {
  return `GRANT SELECT ON ${table} TO ${APP_ROLE};`;
}

/** Who a read runs for: the tenant (org) and the calling user, either may be absent. */
export interface ReadScope {
  readonly orgId?: string | null;
  readonly userId?: string | null;
}

/**
 * The transaction every read runs in: read-only, READ COMMITTED.
 *
 * Not REPEATABLE READ, on purpose: a blue/green rebuild
 * (libs/projection-runtime/rebuild.ts) switches a projection's tables by
 * moving them between schemas under an ACCESS EXCLUSIVE lock. A statement
 * that waited for that lock resolves the table name afresh and reads the
 * new table; under REPEATABLE READ it would read it with the transaction's
 * older snapshot and miss the rows committed after it (seen as a partial
 * chat list while `projections rebuild all` ran against a busy service).
 * Under READ COMMITTED each statement takes its snapshot once its locks are
 * granted, so it sees the switched-in tables whole. The cost: the statements
 * of one answer (authentication, org, access, the read) may see successive
 * committed states rather than one snapshot; each answer's data comes from
 * one statement, and authorization from a state no older than it.
 */
export const BEGIN_READ_SQL = 'BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY';

/**
 * For the few reads that must compare two tables in one snapshot (audit
 * verify: rows and the checkpoint they stand at). They run beside rebuilds
 * at their own risk: a switch in the middle makes them fail or retry, never
 * answer a client.
 */
export const BEGIN_SNAPSHOT_READ_SQL = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

const SET_SCOPE_SQL = `SELECT set_config('${TENANT_SETTING}', $1, true), set_config('${USER_SETTING}', $2, true)`;

/**
 * One read-only transaction of the app role (see {@link BEGIN_READ_SQL}) on a
 * pooled connection, with the scope set transaction-locally
 * (`set_config(…, true)`), so a pooled connection never carries one
 * request's tenant or caller into the next.
 *
 * {@link ReadTransaction.begin} sends `BEGIN`, the scope and the caller's first
 * statements together: the app pool pipelines (pg's `pipeline` mode,
 * database.ts), so that is one round trip, and Postgres still runs them in
 * order, each seeing the settings the ones before it made. {@link end}
 * commits and gives the connection back; it is idempotent, and the
 * connection is destroyed rather than pooled when the transaction could not
 * be ended cleanly.
 */
export class ReadTransaction {
  private ending: Promise<void> | null = null;

  private constructor(private readonly connection: pg.PoolClient) {}

  /**
   * Begins on a connection of `appPool`. `first` issues its statements on the
   * client before its first `await` so they go out with `BEGIN`; its result
   * is returned with the open transaction. On any error the transaction is
   * rolled back, the connection released, and the error thrown.
   *
   * With `endWithFirst`, `first` is all the caller reads: the `COMMIT` goes
   * out with the rest, so the whole transaction is one round trip, and the
   * transaction is returned already ending (its {@link end} answers when
   * the COMMIT has).
   */
  static async begin<T>(
    appPool: pg.Pool,
    scope: ReadScope,
    first: (client: pg.PoolClient) => Promise<T>,
    options: { readonly oneSnapshot?: boolean; readonly endWithFirst?: boolean } = {},
  ): Promise<{ transaction: ReadTransaction; first: T }> {
    const client = await appPool.connect();
    const transaction = new ReadTransaction(client);
    // No await between these: on the pipelining pool they leave together.
    const begun = client.query(options.oneSnapshot ? BEGIN_SNAPSHOT_READ_SQL : BEGIN_READ_SQL);
    const scoped = client.query(SET_SCOPE_SQL, [scope.orgId ?? '', scope.userId ?? '']);
    let read: Promise<T>;
    try {
      read = first(client);
    } catch (error) {
      read = Promise.reject(error as Error);
    }
    // A failed COMMIT is still seen by whoever awaits end(); this only keeps it from going unhandled.
    if (options.endWithFirst) transaction.end().catch(() => undefined);
    const settled = await Promise.allSettled([begun, scoped, read]);
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      // Already ending when the COMMIT went out with `first`: that COMMIT then rolls back.
      await transaction.abort().catch(() => undefined);
      throw failed.reason;
    }
    return { transaction, first: (settled[2] as PromiseFulfilledResult<T>).value };
  }

  /** The connection, for statements inside the transaction; never after {@link end}. */
  get client(): pg.PoolClient {
    if (this.ending) throw new Error('the read transaction has ended');
    return this.connection;
  }

  /** Commits (nothing to write: it ends the snapshot) and gives the connection back. Idempotent. */
  end(): Promise<void> {
    this.ending ??= this.finish('COMMIT');
    return this.ending;
  }

  /** Rolls back and gives the connection back. Idempotent, like {@link end}. */
  abort(): Promise<void> {
    this.ending ??= this.finish('ROLLBACK');
    return this.ending;
  }

  private async finish(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    try {
      await this.connection.query(statement);
      this.connection.release();
    } catch (error) {
      // A connection whose transaction state is unknown must not serve another request.
      this.connection.release(error instanceof Error ? error : true);
      if (statement === 'COMMIT') throw error;
    }
  }
}

/**
 * Runs `read` in one {@link ReadTransaction} and ends it: for one-off reads
 * (the CLI, tests). The API keeps one per request instead
 * (apps/api/read-side/request-read-scope.ts).
 */
export async function withReadScope<T>(
  appPool: pg.Pool,
  scope: ReadScope,
  read: (client: pg.PoolClient) => Promise<T>,
  options: { readonly oneSnapshot?: boolean } = {},
): Promise<T> {
  const { transaction, first: result } = await ReadTransaction.begin(appPool, scope, read, options);
  await transaction.end();
  return result;
}

/** Sets the tenant for the rest of the current transaction (projectors, per event). */
export async function setTenant(client: pg.ClientBase, orgId: string | null): Promise<void> {
  await client.query(`SELECT set_config('${TENANT_SETTING}', $1, true)`, [orgId ?? '']);
}
