import pg from 'pg';
import { createEventStore } from '../../libs/runtime/index.js';
import { EventStoreDbEventStore } from '../../libs/event-store/eventstoredb/eventstoredb-event-store.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { EventStoreDbTestDouble } from '../support/esdb-test-double/index.js';

describe('choosing the event store (DESIGN.md §3)', () => {
  // Never connected: choosing the Postgres store must not touch the database.
  const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
  afterAll(() => pool.end());

  it('uses the Postgres event store when EVENTSTORE_URL is unset', async () => {
    const store = await createEventStore({ eventStoreUrl: undefined }, pool);
    expect(store).toBeInstanceOf(PostgresEventStore);
    await store.close();
  });

  it('uses EventStoreDB when EVENTSTORE_URL is set', async () => {
    const double = await EventStoreDbTestDouble.start();
    const store = await createEventStore({ eventStoreUrl: double.connectionString }, pool);
    try {
      expect(store).toBeInstanceOf(EventStoreDbEventStore);
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
      await double.stop();
    }
  });
});
