import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { TENANT_SETTING } from '../../libs/persistence/index.js';
import { LazyTenant } from '../../libs/projection-runtime/lazy-tenant.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The tenant is set before the first statement of an event whose org differs
 * from the session's, and never for an event that runs no statement: counted
 * in statements sent, on a real session.
 */
let database: TestDatabase;
let client: pg.Client;
const sent: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  // The cluster's own teardown may end the session first.
  client.on('error', () => undefined);
  await client.connect();
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { query: unknown }).query = (text: string, values?: unknown[]) => {
    sent.push(text);
    return query(text, values);
  };
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

const tenantOf = async (on: pg.ClientBase) =>
  (await on.query<{ tenant: string }>(`SELECT current_setting('${TENANT_SETTING}', true) AS tenant`)).rows[0]!
    .tenant;

describe('LazyTenant', () => {
  it('sets each tenant once, before the first statement that runs under it, inside the transaction', async () => {
    await client.query('BEGIN');
    sent.length = 0;
    const tenant = new LazyTenant(client);
    const [a, b] = ['0f9c1a4e-1111-4a4a-8a8a-000000000001', '0f9c1a4e-2222-4a4a-8a8a-000000000002'];

    // Events of a, b and a again that run nothing: nothing is sent.
    for (const org of [a, b, a]) tenant.bind(org);
    expect(sent).toEqual([]);

    tenant.bind(b);
    expect(await tenantOf(tenant.client)).toBe(b);
    expect(await tenantOf(tenant.client)).toBe(b);
    tenant.bind(a);
    expect(await tenantOf(tenant.client)).toBe(a);
    tenant.bind(null);
    expect(await tenantOf(tenant.client)).toBe('');
    expect(sent.filter((text) => text.includes('set_config'))).toHaveLength(3);
    expect(sent).toHaveLength(7);

    await client.query('ROLLBACK');
    expect(await tenantOf(client)).toBe('');
  });
});
