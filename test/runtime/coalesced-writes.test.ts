import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { coalesceWrites } from '../../libs/persistence/pg-clients.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Statements issued in one tick leave in one socket write (libs/persistence
 * pg-clients.ts `coalesceWrites`), on a pipelining client as the app pool
 * and the projection runners use, and the answers are unchanged.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

/** A pipelining client, and a count of the writes that reach its socket. */
async function pipeliningClient(coalesce: boolean) {
  const client = new pg.Client({ connectionString: database.url, pipeline: true });
  client.on('error', () => undefined);
  if (coalesce) coalesceWrites(client);
  await client.connect();
  const socket = client.connection.stream;
  let writes = 0;
  const write = socket._write.bind(socket);
  socket._write = (chunk, encoding, callback) => {
    writes++;
    write(chunk, encoding, callback);
  };
  const writev = socket._writev?.bind(socket);
  if (writev) {
    socket._writev = (chunks, callback) => {
      writes++;
      writev(chunks, callback);
    };
  }
  return { client, writes: () => writes };
}

/** Five statements sent without awaiting each other, as a read scope opens. */
async function fiveStatements(client: pg.Client): Promise<number[]> {
  const results = await Promise.all(
    [1, 2, 3, 4, 5].map((n) => client.query<{ n: number }>('SELECT $1::int AS n', [n])),
  );
  return results.map((result) => result.rows[0]!.n);
}

describe('coalesced writes', () => {
  it('sends the statements of one tick in one write, and answers each', async () => {
    const { client, writes } = await pipeliningClient(true);
    try {
      const before = writes();
      expect(await fiveStatements(client)).toEqual([1, 2, 3, 4, 5]);
      expect(writes() - before).toBe(1);
      // Statements of later ticks still leave, each tick on its own.
      expect((await client.query<{ n: number }>('SELECT 6 AS n')).rows).toEqual([{ n: 6 }]);
      expect(writes() - before).toBe(2);
    } finally {
      await client.end();
    }
  });

  it('is what makes the difference: without it each statement is a write of its own', async () => {
    const { client, writes } = await pipeliningClient(false);
    try {
      const before = writes();
      expect(await fiveStatements(client)).toEqual([1, 2, 3, 4, 5]);
      expect(writes() - before).toBe(5);
    } finally {
      await client.end();
    }
  });

  it('keeps a failing statement to itself: the ones after it in the same tick still answer', async () => {
    const { client } = await pipeliningClient(true);
    try {
      const [bad, good] = await Promise.allSettled([
        client.query('SELECT 1 / 0'),
        client.query<{ n: number }>('SELECT 7 AS n'),
      ]);
      expect(bad.status).toBe('rejected');
      expect(good.status === 'fulfilled' && good.value.rows).toEqual([{ n: 7 }]);
    } finally {
      await client.end();
    }
  });
});
