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
 * Runs `read` in one read-only, repeatable-read transaction of the app role
 * with the scope set transaction-locally (`set_config(…, true)`), so a
 * pooled connection never carries one request's tenant into the next, and
 * every query of one answer sees the same snapshot.
 */
export async function withReadScope<T>(
  appPool: pg.Pool,
  scope: ReadScope,
  read: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await appPool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(
      `SELECT set_config('${TENANT_SETTING}', $1, true), set_config('${USER_SETTING}', $2, true)`,
      [scope.orgId ?? '', scope.userId ?? ''],
    );
    const result = await read(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Sets the tenant for the rest of the current transaction (projectors, per event). */
export async function setTenant(client: pg.ClientBase, orgId: string | null): Promise<void> {
  await client.query(`SELECT set_config('${TENANT_SETTING}', $1, true)`, [orgId ?? '']);
}
