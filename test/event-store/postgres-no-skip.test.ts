import { jest } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ANY, comparePositions, encodePosition, type Position } from '../../libs/event-store/index.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { EVENT_STORE_SCHEMA_SQL } from '../../libs/event-store/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { newEvents } from './event-fixtures.js';

/**
 * DESIGN.md §7: "No subscriber may skip an event: the Postgres event store
 * must handle appends whose transactions commit out of position order."
 *
 * Eight writers append 10,000 events while subscribers read from the start.
 * Every fourth append runs in a transaction held open for a while, so later
 * transactions commit before earlier ones. Each subscriber must see every
 * event exactly once, in position order. There are three of them on one
 * store, as a projector process runs several, so the pages they share
 * (log-page-cache.ts) are under the same test.
 */
const SUBSCRIBERS = 3;
const WRITERS = 8;
const EVENTS_PER_WRITER = 1250;
const TOTAL = WRITERS * EVENTS_PER_WRITER;

describe('Postgres event store under out-of-order commits', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: WRITERS + 4 });
    await pool.query(EVENT_STORE_SCHEMA_SQL);
    store = new PostgresEventStore(pool, { batchSize: 200, pollIntervalMs: 250 });
  });
  afterAll(async () => {
    await store?.close();
    await pool?.end();
    await database?.drop();
  });

  it('delivers every event exactly once, in position order', async () => {
    const written = new Set<string>();
    // Positions in the order their transactions committed, as the writers saw it.
    const commitOrder: Position[] = [];

    const cacheBefore = store.pageCacheStats();
    const subscriptions = Array.from({ length: SUBSCRIBERS }, () => store.subscribeToAll());
    const deliveries = subscriptions.map(() => [] as { eventId: string; position: Position }[]);
    const subscribers = subscriptions.map(async (subscription, i) => {
      const delivered = deliveries[i]!;
      for await (const message of subscription) {
        if (message.kind !== 'event') continue;
        delivered.push({ eventId: message.event.metadata.eventId, position: message.event.position });
        if (delivered.length >= TOTAL) break;
      }
    });

    const writer = async (w: number) => {
      let remaining = EVENTS_PER_WRITER;
      for (let n = 0; remaining > 0; n++) {
        const events = newEvents(Math.min(remaining, 1 + ((w + n) % 4)));
        remaining -= events.length;
        const stream = `writer-${w}/stream-${n % 7}`;
        const position =
          n % 4 === 0
            ? await appendHeldOpen(stream, events, 5 + ((w * 7 + n) % 30))
            : (await store.append(stream, events, ANY)).position;
        commitOrder.push(position);
        for (const e of events) written.add(e.metadata.eventId);
      }
    };

    async function appendHeldOpen(
      stream: string,
      events: ReturnType<typeof newEvents>,
      holdMs: number,
    ): Promise<Position> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ transaction_id: string; last_seq: string }>(
          'SELECT transaction_id, last_seq FROM eventstore.append($1, $2, NULL, $3::jsonb)',
          [
            stream,
            ANY,
            JSON.stringify(
              events.map((e) => ({
                eventId: e.metadata.eventId,
                type: e.type,
                data: e.data,
                metadata: e.metadata,
              })),
            ),
          ],
        );
        await sleep(holdMs);
        await client.query('COMMIT');
        return encodePosition(BigInt(rows[0]!.transaction_id), BigInt(rows[0]!.last_seq));
      } finally {
        client.release();
      }
    }

    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const giveUp = new AbortController();
    const timeout = sleep(30_000, undefined, { signal: giveUp.signal }).then(() => {
      throw new Error(`subscribers saw ${deliveries.map((d) => d.length).join(', ')} of ${TOTAL} events`);
    });
    timeout.catch(() => undefined);
    await Promise.race([Promise.all(subscribers), timeout]).finally(() => giveUp.abort());
    await Promise.all(subscriptions.map((subscription) => subscription.close()));

    // The scenario really happened: some transactions committed after a later position had committed.
    let outOfOrderCommits = 0;
    let highest = commitOrder[0]!;
    for (const position of commitOrder) {
      if (comparePositions(position, highest) < 0) outOfOrderCommits++;
      else highest = position;
    }
    expect(outOfOrderCommits).toBeGreaterThan(50);

    expect(written.size).toBe(TOTAL);
    for (const delivered of deliveries) {
      expect(delivered).toHaveLength(TOTAL);
      expect(new Set(delivered.map((d) => d.eventId)).size).toBe(TOTAL);
      expect(delivered.every((d) => written.has(d.eventId))).toBe(true);
      for (let i = 1; i < delivered.length; i++) {
        if (comparePositions(delivered[i - 1]!.position, delivered[i]!.position) >= 0) {
          throw new Error(`delivery ${i} is not after delivery ${i - 1}`);
        }
      }
    }
    // The subscribers shared their pages: Postgres got fewer queries than they got pages.
    const cache = store.pageCacheStats();
    const pages = cache.pages - cacheBefore.pages;
    const reads = cache.databaseReads - cacheBefore.databaseReads;
    process.stderr.write(`${SUBSCRIBERS} subscribers: ${pages} pages, ${reads} queries\n`);
    expect(reads).toBeLessThan(pages * 0.75);
  });

  it('reads pages only as the consumer asks for them (backpressure)', async () => {
    const after = await store.headPosition();
    for (let i = 0; i < 10; i++) await store.append(`backpressure/${i}`, newEvents(100), ANY);
    const query = jest.spyOn(pool, 'query');
    const subscription = store.subscribeToAll({ after, streamPrefix: 'backpressure/' });
    const iterator = subscription[Symbol.asyncIterator]();
    try {
      await iterator.next();
      await sleep(300);
      // One page of 200 fetched for the first event; nothing more while the consumer idles.
      expect(query).toHaveBeenCalledTimes(1);
      for (let i = 1; i < 1000; i++) await iterator.next();
      expect(query.mock.calls.length).toBeGreaterThanOrEqual(5);
    } finally {
      query.mockRestore();
      await subscription.close();
    }
  });
});
