import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { preparingClientClass } from '../../libs/persistence/pg-clients.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The app pool's reads are prepared once per connection (libs/persistence
 * pg-clients.ts): a statement run twice is parsed once, writes and
 * transaction control are never prepared, and a prepared read follows a
 * table swapped in under its name, as a blue/green switch does.
 */
let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  const PreparingClient = preparingClientClass(pg.Client);
  client = new PreparingClient({ connectionString: database.url });
  client.on('error', () => undefined);
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await database?.drop();
});

const prepared = async () =>
  (
    await client.query<{ statement: string }>(
      `SELECT statement FROM pg_prepared_statements WHERE name LIKE 'tenantry_%' ORDER BY statement`,
    )
  ).rows.map((row) => row.statement);

describe('prepared reads', () => {
  it('prepares a read once per connection, and never a write or BEGIN', async () => {
    await client.query('CREATE TABLE numbers (n int)');
    await client.query('BEGIN');
    await client.query('INSERT INTO numbers VALUES ($1)', [1]);
    await client.query('COMMIT');
    for (let i = 0; i < 3; i++) {
      expect((await client.query<{ n: number }>('SELECT n FROM numbers WHERE n = $1', [1])).rows).toEqual([
        { n: 1 },
      ]);
    }
    // The listing query is a read too, so it is there as well.
    expect(await prepared()).toEqual([
      expect.stringContaining('SELECT n FROM numbers WHERE n = $1'),
      expect.stringContaining('SELECT statement FROM pg_prepared_statements'),
    ]);
  });

  it('reads the table swapped in under the same name, as after a blue/green switch', async () => {
    await client.query('CREATE SCHEMA live');
    await client.query('CREATE SCHEMA side');
    await client.query('CREATE SCHEMA retired');
    await client.query(`CREATE TABLE live.model (v text); INSERT INTO live.model VALUES ('old')`);
    await client.query(`CREATE TABLE side.model (v text); INSERT INTO side.model VALUES ('new')`);
    const read = async () => (await client.query<{ v: string }>('SELECT v FROM live.model')).rows;
    expect(await read()).toEqual([{ v: 'old' }]);
    expect(await read()).toEqual([{ v: 'old' }]);
    await client.query('ALTER TABLE live.model SET SCHEMA retired');
    await client.query('ALTER TABLE side.model SET SCHEMA live');
    expect(await read()).toEqual([{ v: 'new' }]);
  });
});
