import pg from 'pg';
import { EVENT_STORE_SCHEMA_SQL } from '../../libs/event-store/postgres/schema.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { createTestDatabase } from '../support/test-database.js';
import { describeEventStoreContract } from './event-store.contract.js';

describeEventStoreContract('Postgres adapter', async () => {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 12 });
  await pool.query(EVENT_STORE_SCHEMA_SQL);
  const store = new PostgresEventStore(pool, { pollIntervalMs: 200 });
  return {
    store,
    async teardown() {
      await store.close();
      await pool.end();
      await database.drop();
    },
  };
});
