import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { type AppliedBatch } from '../../libs/projection-runtime/projection-runner.js';
import { LazyBatchTransaction } from '../../libs/projection-runtime/lazy-batch-transaction.js';
import { commitBatch } from '../../libs/projection-runtime/batch-commit.js';
import { CheckpointMovedElsewhere } from '../../libs/projection-runtime/runner-contract.js';
import { START } from '../../libs/event-store/index.js';
import { eventLogProjection } from './support/event-log.projection.js';
import {
  newOrg,
  openRuntimeWorld,
  type RuntimeWorld,
  silentLogger,
  waitForCheckpoint,
} from './support/runtime-world.js';
import { ApplierConnection } from '../../libs/projection-runtime/applier-connection.js';
import { installProjection } from '../../libs/projection-runtime/install.js';

/**
 * A batch's transaction begins with its first statement, and a batch that
 * writes nothing moves its checkpoint in one statement of its own: counted
 * in statements sent, on real sessions.
 */
let world: RuntimeWorld;
beforeAll(async () => {
  world = await openRuntimeWorld();
});
afterAll(async () => {
  await world?.close();
});

/** A session that records every statement text it is sent. */
async function recordingClient(): Promise<{ client: pg.Client; sent: string[] }> {
  const client = new pg.Client({ connectionString: world.url });
  client.on('error', () => undefined);
  await client.connect();
  const sent: string[] = [];
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { query: unknown }).query = (config: unknown, values?: unknown[]) => {
    sent.push(typeof config === 'string' ? config : (config as { text: string }).text);
    return query(config, values);
  };
  return { client, sent };
}

const inTransaction = async (client: pg.ClientBase) =>
  (await client.query<{ open: boolean }>('SELECT now() <> statement_timestamp() AS open')).rows[0]!.open;

describe('LazyBatchTransaction', () => {
  it('sends nothing until the first statement, then BEGIN and the opening before it, once', async () => {
    const { client, sent } = await recordingClient();
    try {
      const transaction = new LazyBatchTransaction(client, async (raw) => {
        await raw.query('SELECT 1 AS opening');
      });
      expect(transaction.begun).toBe(false);
      await transaction.opened();
      expect(sent).toEqual([]);

      const first = transaction.client.query('SELECT 2 AS first');
      const second = transaction.client.query('SELECT 3 AS second');
      await Promise.all([first, second]);
      expect(transaction.begun).toBe(true);
      expect(sent).toEqual(['BEGIN', 'SELECT 1 AS opening', 'SELECT 2 AS first', 'SELECT 3 AS second']);
      expect(await inTransaction(client)).toBe(true);
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });

  it("fails every statement with the opening's error, even one that failed on its own", async () => {
    const { client } = await recordingClient();
    try {
      const refused = new Error('a rebuild switched the tables in');
      const transaction = new LazyBatchTransaction(client, async (raw) => {
        await raw.query('SELECT 1');
        throw refused;
      });
      await expect(transaction.client.query('SELECT 1/0')).rejects.toBe(refused);
      await expect(transaction.opened()).rejects.toBe(refused);
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });
});

describe('a runner', () => {
  it('commits a transaction for the batches that write, and only moves the checkpoint for the others', async () => {
    const org = newOrg();
    const writesNothing = { ...eventLogProjection({ name: 'writes_nothing' }), apply: async () => undefined };
    const writes = eventLogProjection({ name: 'writes_every_event' });
    const batches: AppliedBatch[] = [];
    const runners = [writesNothing, writes].map((projection) =>
      world.runner(projection, { onBatch: (batch) => batches.push(batch) }),
    );
    for (const runner of runners) runner.start();
    const appended = [];
    for (let i = 0; i < 3; i++) appended.push(...(await world.append(org, 2)));
    for (const { name } of [writesNothing, writes])
      await waitForCheckpoint(world, name, appended.at(-1)!.position);
    for (const runner of runners) await runner.stop();

    const of = (name: string) => batches.filter((batch) => batch.name === name);
    expect(of(writesNothing.name).length).toBeGreaterThan(0);
    expect(of(writesNothing.name).every((batch) => !batch.wrote)).toBe(true);
    expect(of(writes.name).length).toBeGreaterThan(0);
    expect(of(writes.name).every((batch) => batch.wrote)).toBe(true);
    expect((await world.rows(writes)).map((row) => row.event_id)).toEqual(
      (await world.log()).map((event) => event.metadata.eventId),
    );
  });
});

describe('commitBatch', () => {
  it('rolls back a batch that began its transaction, and sends no ROLLBACK for one that began none', async () => {
    const org = newOrg();
    const events = await world.append(org, 2);
    const writes = eventLogProjection({ name: 'refused_writer' });
    const writesNothing = { ...eventLogProjection({ name: 'refused_idler' }), apply: async () => undefined };
    for (const projection of [writes, writesNothing]) {
      const { client, sent } = await recordingClient();
      try {
        // No checkpoint row of either name: the guard and the move both refuse, as after a rebuild's switch.
        const session = {
          projection,
          upcast: (e: { data: unknown }) => e.data,
          generation: 0,
          committed: START,
        };
        await expect(commitBatch(client, session, events, 'live')).rejects.toBeInstanceOf(
          CheckpointMovedElsewhere,
        );
        if (projection === writes) {
          expect(sent[0]).toBe('BEGIN');
          expect(sent.at(-1)).toBe('ROLLBACK');
        } else {
          expect(sent).not.toContain('BEGIN');
          expect(sent).not.toContain('ROLLBACK');
        }
        expect(await inTransaction(client)).toBe(false);
      } finally {
        await client.end();
      }
    }
  });
});

describe('commitBatch, a batch that wrote', () => {
  it('sends its checkpoint move and COMMIT together; a move that finds the checkpoint elsewhere rolls the rows back', async () => {
    const org = newOrg();
    const projection = eventLogProjection({ name: 'moved_elsewhere' });
    await installProjection(world.database.ownerPool, projection);
    const first = await world.append(org, 2);
    const second = await world.append(org, 1);
    const { generation } = await world.checkpoint(projection.name);
    const session = { projection, upcast: (e: { data: unknown }) => e.data, generation, committed: START };

    // The checkpoint is where the session believes: rows and move commit together.
    const { client, sent } = await recordingClient();
    try {
      await expect(commitBatch(client, session, first, 'live')).resolves.toBe(true);
      expect(sent.slice(-2)).toEqual([expect.stringContaining('move_checkpoint'), 'COMMIT']);
      expect((await world.checkpoint(projection.name)).position).toBe(first.at(-1)!.position);

      // Now the session is behind (someone else moved it): the move fails, and the COMMIT sent
      // behind it, without waiting for its answer, rolls the batch's rows back.
      sent.length = 0;
      await expect(commitBatch(client, session, second, 'live')).rejects.toBeInstanceOf(
        CheckpointMovedElsewhere,
      );
      expect(sent.slice(-2)).toEqual([expect.stringContaining('move_checkpoint'), 'COMMIT']);
      expect(sent).not.toContain('ROLLBACK');
      expect(await inTransaction(client)).toBe(false);
    } finally {
      await client.end();
    }
    expect((await world.rows(projection)).map((row) => row.event_id)).toEqual(
      first.map((event) => event.metadata.eventId),
    );
    expect((await world.checkpoint(projection.name)).position).toBe(first.at(-1)!.position);
  });
});

describe('ApplierConnection', () => {
  it('commits asynchronously only when asked to (the runners), keeping the options it was given', async () => {
    // The test cluster commits asynchronously by default: these sessions say otherwise first.
    const config = {
      connectionString: world.url,
      options: '-c synchronous_commit=on -c statement_timeout=4321',
    };
    const asynchronous = await ApplierConnection.open(config, silentLogger, { asynchronousCommit: true });
    const synchronous = await ApplierConnection.open(config, silentLogger);
    try {
      const show = async (connection: ApplierConnection, setting: string) =>
        Object.values((await connection.client.query(`SHOW ${setting}`)).rows[0] as object)[0] as string;
      expect(await show(asynchronous, 'synchronous_commit')).toBe('off');
      expect(await show(synchronous, 'synchronous_commit')).toBe('on');
      expect(await show(asynchronous, 'statement_timeout')).toBe('4321ms');
    } finally {
      await asynchronous.close();
      await synchronous.close();
    }
  });
});
