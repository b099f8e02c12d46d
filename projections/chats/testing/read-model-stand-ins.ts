import type pg from 'pg';
import { APP_ROLE, READ_MODEL_SCHEMA, setTenant, tenantTableSql } from '../../../libs/persistence/index.js';

/**
 * Test support (imported by tests only): minimal stand-ins for the read
 * models other projections own and the chat and message queries join
 * (users, groups, group_members, org_members), with only the columns those queries read.
 * Rows are written directly as the owner, tenant rows with the tenant set,
 * as a projector would. Tables are created only where missing, so a test
 * that installs the real projections keeps theirs.
 */
export interface StandIns {
  user(user: { id: string; email: string; displayName: string }): Promise<void>;
  /** The group, and its members as org members too (unless they already are). */
  group(orgId: string, group: { id: string; name: string; members?: readonly string[] }): Promise<void>;
  /** As OrgMemberRemoved leaves it: the org membership goes, group memberships stay. */
  removeFromOrg(orgId: string, userId: string): Promise<void>;
  /** As GroupDeleted leaves it: no row. */
  deleteGroup(orgId: string, groupId: string): Promise<void>;
}

const USERS = `${READ_MODEL_SCHEMA}.users`;
const GROUPS = `${READ_MODEL_SCHEMA}.groups`;
const GROUP_MEMBERS = `${READ_MODEL_SCHEMA}.group_members`;
const ORG_MEMBERS = `${READ_MODEL_SCHEMA}.org_members`;

export async function installStandIns(ownerPool: pg.Pool): Promise<StandIns> {
  await inTransaction(ownerPool, null, async (client) => {
    if (!(await exists(client, USERS))) {
      await client.query(`
        CREATE TABLE ${USERS} (
          user_id uuid PRIMARY KEY, email text NOT NULL, display_name text NOT NULL,
          status text NOT NULL DEFAULT 'active', registered_at timestamptz NOT NULL DEFAULT now());
        GRANT SELECT ON ${USERS} TO ${APP_ROLE};`);
    }
    if (!(await exists(client, GROUPS))) {
      await client.query(`
        CREATE TABLE ${GROUPS} (
          org_id uuid NOT NULL, group_id uuid PRIMARY KEY, name text NOT NULL,
          created_position text NOT NULL DEFAULT '', created_at timestamptz NOT NULL DEFAULT now());
        ${tenantTableSql(GROUPS)}`);
    }
    if (!(await exists(client, GROUP_MEMBERS))) {
      await client.query(`
        CREATE TABLE ${GROUP_MEMBERS} (
          org_id uuid NOT NULL, group_id uuid NOT NULL, user_id uuid NOT NULL,
          PRIMARY KEY (org_id, group_id, user_id));
        ${tenantTableSql(GROUP_MEMBERS)}`);
    }
    if (!(await exists(client, ORG_MEMBERS))) {
      await client.query(`
        CREATE TABLE ${ORG_MEMBERS} (
          org_id uuid NOT NULL, user_id uuid NOT NULL, role text NOT NULL DEFAULT 'member',
          PRIMARY KEY (org_id, user_id));
        ${tenantTableSql(ORG_MEMBERS)}`);
    }
  });

  return {
    user: ({ id, email, displayName }) =>
      inTransaction(ownerPool, null, async (client) => {
        await client.query(`INSERT INTO ${USERS} (user_id, email, display_name) VALUES ($1, $2, $3)`, [
          id,
          email,
          displayName,
        ]);
      }),
    group: (orgId, { id, name, members = [] }) =>
      inTransaction(ownerPool, orgId, async (client) => {
        await client.query(`INSERT INTO ${GROUPS} (org_id, group_id, name) VALUES ($1, $2, $3)`, [
          orgId,
          id,
          name,
        ]);
        for (const userId of members) {
          await client.query(`INSERT INTO ${GROUP_MEMBERS} (org_id, group_id, user_id) VALUES ($1, $2, $3)`, [
            orgId,
            id,
            userId,
          ]);
          await client.query(
            `INSERT INTO ${ORG_MEMBERS} (org_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
            [orgId, userId],
          );
        }
      }),
    removeFromOrg: (orgId, userId) =>
      inTransaction(ownerPool, orgId, async (client) => {
        await client.query(`DELETE FROM ${ORG_MEMBERS} WHERE org_id = $1 AND user_id = $2`, [orgId, userId]);
      }),
    deleteGroup: (orgId, groupId) =>
      inTransaction(ownerPool, orgId, async (client) => {
        await client.query(`DELETE FROM ${GROUP_MEMBERS} WHERE org_id = $1 AND group_id = $2`, [
          orgId,
          groupId,
        ]);
        await client.query(`DELETE FROM ${GROUPS} WHERE org_id = $1 AND group_id = $2`, [orgId, groupId]);
      }),
  };
}

async function exists(client: pg.ClientBase, table: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    table,
  ]);
  return rows[0]!.found;
}

async function inTransaction(
  ownerPool: pg.Pool,
  orgId: string | null,
  work: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const client = await ownerPool.connect();
  try {
    await client.query('BEGIN');
    await setTenant(client, orgId);
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
