import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { LogWriter } from '../../bench/generate/log-writer.js';
import { type EventStore, type NewEvent, NO_STREAM } from '../../libs/event-store/index.js';
import { EVENT_STORE_SCHEMA_SQL } from '../../libs/event-store/postgres/schema.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The benchmark's generated log must be one the product could have written:
 * an append decided on another stream's state never lands in the log before
 * that state (bench/generate/log-writer.ts).
 */
describe('the benchmark log writer', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 20 });
    await pool.query(EVENT_STORE_SCHEMA_SQL);
    store = new PostgresEventStore(pool, { pollIntervalMs: 100 });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await database.drop();
  });

  const event = (type: string): NewEvent => ({
    type,
    data: {},
    metadata: {
      eventId: randomUUID(),
      actorId: 'bench',
      correlationId: randomUUID(),
      causationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  });

  /** A store whose appends to `slow` take a while, so a writer that ignored what a decision read would overtake it. */
  function slowFor(slow: string): EventStore {
    return new Proxy(store, {
      get(target, key, receiver) {
        if (key !== 'append') return Reflect.get(target, key, receiver) as unknown;
        return async (...args: Parameters<EventStore['append']>) => {
          if (args[0] === slow) await new Promise((resolve) => setTimeout(resolve, 150));
          return target.append(...args);
        };
      },
    });
  }

  it('puts an append after the appends of every stream its decision read', async () => {
    const writer = new LogWriter(slowFor('bench-a'), 8);
    await writer.submit({ streamName: 'bench-a', events: [event('A1')], expected: NO_STREAM, reads: [] });
    await writer.submit({
      streamName: 'bench-b',
      events: [event('B1')],
      expected: NO_STREAM,
      reads: ['bench-a'],
    });
    await writer.submit({ streamName: 'bench-c', events: [event('C1')], expected: NO_STREAM, reads: [] });
    await writer.flush();

    const order: string[] = [];
    for await (const recorded of store.readAll()) order.push(recorded.type);
    expect(order.indexOf('B1')).toBeGreaterThan(order.indexOf('A1'));
    // Independent appends are not held back: C overtakes the slow A.
    expect(order.indexOf('C1')).toBeLessThan(order.indexOf('A1'));
    expect(writer.eventsWritten).toBe(3);
  });

  it('reports a failed append from flush', async () => {
    const writer = new LogWriter(store, 4);
    // bench-a exists since the test above: no_stream cannot hold.
    await writer.submit({ streamName: 'bench-a', events: [event('A2')], expected: NO_STREAM, reads: [] });
    await expect(writer.flush()).rejects.toThrow(/expected/i);
  });
});
