import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { APP_ROLE, READ_MODEL_SCHEMA, setTenant, TENANT_POLICY } from '../../libs/persistence/index.js';
import { PROJECTIONS } from '../../projections/index.js';
import { type E2eApp, startE2eApp } from '../e2e/support/e2e-app.js';

/**
 * DESIGN.md §7: every read-model table holding tenant data has org_id, with
 * row-level security enabled and forced and a tenant policy; queries run as
 * a role RLS binds. These tests enumerate the database rather than a list in
 * the code, so a new table cannot slip past them.
 */

/** Tables that hold no tenant data (DESIGN.md §7: users, token hashes, checkpoints). */
/**
 * No tenant data: users and token hashes (DESIGN.md §7), and the projection
 * runtime's operational rows, which the admin route and metrics read as the
 * app role: checkpoints, skips (who skipped which event, why) and rebuilds
 * in progress (which projection, and which org for a per-tenant one).
 */
const PLATFORM_TABLES = new Set([
  'read_model.users',
  'read_model.api_tokens',
  'projection.checkpoints',
  'projection.skips',
  'projection.builds',
]);

interface TableFacts {
  table: string;
  has_org_id: boolean;
  rls: boolean;
  forced: boolean;
  policies: Array<{ name: string; cmd: string; roles: string[]; qual: string | null; check: string | null }>;
}

async function tablesOf(pool: pg.Pool, where: string, params: unknown[] = []): Promise<TableFacts[]> {
  const { rows } = await pool.query<TableFacts>(
    `SELECT n.nspname || '.' || c.relname AS table,
            EXISTS (SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped) AS has_org_id,
            c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
            COALESCE((SELECT json_agg(json_build_object(
                        'name', p.polname, 'cmd', p.polcmd,
                        'roles', (SELECT COALESCE(array_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END), '{}')
                                    FROM unnest(p.polroles) r),
                        'qual', pg_get_expr(p.polqual, p.polrelid),
                        'check', pg_get_expr(p.polwithcheck, p.polrelid)))
                        FROM pg_policy p WHERE p.polrelid = c.oid), '[]') AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND ${where}
      ORDER BY 1`,
    params,
  );
  return rows;
}

/** The org-scoped tenant policy: every command, every role, on the tenant setting, for reads and writes. */
function hasTenantPolicy(facts: TableFacts): boolean {
  return facts.policies.some(
    (policy) =>
      policy.name === TENANT_POLICY &&
      policy.cmd === '*' &&
      policy.roles.includes('public') &&
      /org_id = \(?NULLIF\(current_setting\('tenantry\.org_id'::text, true\), ''::text\)\)?::uuid/i.test(
        policy.qual ?? '',
      ) &&
      policy.check === policy.qual,
  );
}

describe('row-level security on the read models', () => {
  let app: E2eApp;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    // Tables owned by a role that is not a superuser, as in the embedded default: a superuser would
    // bypass even forced row-level security, and the owner-role checks below would prove nothing.
    app = await startE2eApp({ ownerIsNotSuperuser: true });
    const [a, b] = [await populatedOrg(app, 'rls-a'), await populatedOrg(app, 'rls-b')];
    orgA = a;
    orgB = b;
    await app.catchUp();
    // Any request now waits for every projection to reach the head.
    expect((await app.request('GET', '/health')).status).toBe(200);
  }, 60_000);

  afterAll(() => app?.close());

  it('every read-model table either carries org_id under an enabled, forced tenant policy, or is a platform table', async () => {
    const tables = await tablesOf(app.database.ownerPool, 'n.nspname = $1', [READ_MODEL_SCHEMA]);
    const declared = PROJECTIONS.flatMap((projection) => projection.tables).sort();
    expect(tables.map((t) => t.table)).toEqual(declared);
    const problems = tables.flatMap((facts) => {
      if (PLATFORM_TABLES.has(facts.table))
        return facts.has_org_id ? [`${facts.table}: platform table with org_id`] : [];
      return [
        !facts.has_org_id && `${facts.table}: no org_id`,
        !facts.rls && `${facts.table}: row-level security not enabled`,
        !facts.forced && `${facts.table}: row-level security not forced`,
        !hasTenantPolicy(facts) && `${facts.table}: no ${TENANT_POLICY} policy on tenantry.org_id`,
      ].filter((problem): problem is string => typeof problem === 'string');
    });
    expect(problems).toEqual([]);
  });

  it(`${APP_ROLE} can read no table outside row-level security except the platform tables`, async () => {
    const readable = await tablesOf(
      app.database.ownerPool,
      `has_table_privilege($1, c.oid, 'SELECT') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
      [APP_ROLE],
    );
    const unprotected = readable.filter((facts) => !(facts.rls && facts.forced && hasTenantPolicy(facts)));
    expect(unprotected.map((facts) => facts.table).filter((table) => !PLATFORM_TABLES.has(table))).toEqual(
      [],
    );
  });

  it('an unscoped SELECT on every tenant table, in org A, returns org A rows only', async () => {
    const tenantTables = (await tablesOf(app.database.ownerPool, 'n.nspname = $1', [READ_MODEL_SCHEMA]))
      .filter((facts) => facts.has_org_id)
      .map((facts) => facts.table);
    expect(tenantTables.length).toBeGreaterThan(5);
    for (const pool of [app.database.appPool, app.database.ownerPool]) {
      // The owner is the role projectors write as: FORCE binds it too.
      for (const table of tenantTables) {
        const seen = await inTenant(pool, orgA, (client) =>
          client.query<{ org_id: string }>(`SELECT DISTINCT org_id FROM ${table}`),
        );
        expect({ table, orgs: seen.rows.map((row) => row.org_id) }).toEqual({ table, orgs: [orgA] });
        const none = await inTenant(pool, null, (client) => client.query(`SELECT 1 FROM ${table}`));
        expect({ table, rows: none.rowCount }).toEqual({ table, rows: 0 });
      }
      // Both orgs' rows are there: seen from B, B's own.
      for (const table of tenantTables) {
        const seen = await inTenant(pool, orgB, (client) =>
          client.query<{ org_id: string }>(`SELECT DISTINCT org_id FROM ${table}`),
        );
        expect({ table, orgs: seen.rows.map((row) => row.org_id) }).toEqual({ table, orgs: [orgB] });
      }
    }
  });

  it('a write into another tenant is refused, even for the owner role', async () => {
    await expect(
      inTenant(app.database.ownerPool, orgA, (client) =>
        client.query(`UPDATE ${READ_MODEL_SCHEMA}.organizations SET name = 'x' WHERE org_id = $1`, [orgB]),
      ),
    ).resolves.toMatchObject({ rowCount: 0 });
    await expect(
      inTenant(app.database.ownerPool, orgA, (client) =>
        client.query(
          `INSERT INTO ${READ_MODEL_SCHEMA}.organizations (org_id, slug, name, chat_sharing_disabled, workspace_sharing_disabled, created_at)
           VALUES ($1, 'intruder', 'x', false, false, now())`,
          [orgB],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});

async function inTenant<T>(pool: pg.Pool, orgId: string | null, run: (client: pg.PoolClient) => Promise<T>) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await setTenant(client, orgId);
    return await run(client);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** An org with a row in every tenant read model: members, a group, a workspace, chats, an ACL, a message. */
async function populatedOrg(app: E2eApp, name: string): Promise<string> {
  const owner = await app.registerUser(`${name}-owner`);
  const member = await app.registerUser(`${name}-member`);
  const as = owner.token;
  const ok = async (method: string, path: string, body?: unknown) => {
    const answer = await app.request(method, path, { token: as, body });
    if (answer.status >= 300)
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const slug = `${name}-${Date.now()}`;
  const { org } = await ok('POST', '/v1/orgs', { slug, name });
  const base = `/v1/orgs/${org.id}`;
  await ok('PUT', `${base}/members/${member.id}`, { role: 'member' });
  const { group } = await ok('POST', `${base}/groups`, { name: 'team' });
  await ok('PUT', `${base}/groups/${group.id}/members/${member.id}`);
  const { workspace } = await ok('POST', `${base}/workspaces`, { slug: 'space', name: 'Space' });
  await ok('PUT', `${base}/workspaces/${workspace.id}/members/${member.id}`, { role: 'viewer' });
  const { chat } = await ok('POST', `${base}/chats`, { title: 'root', workspaceId: workspace.id });
  await ok('PATCH', `${base}/chats/${chat.id}/acl`, {
    users: { [member.id]: 'editor' },
    groups: { [group.id]: 'viewer' },
  });
  const { chat: sub } = await ok('POST', `${base}/chats`, { title: 'sub', parentChatId: chat.id });
  await ok('POST', `${base}/chats/${sub.id}/messages`, { body: 'hello' });
  return org.id as string;
}
