import type { Logger } from 'pino';
import { type TenantryConfig } from '../config/index.js';
import { type EventStore } from '../event-store/index.js';
import {
  type Database,
  type DatabaseConfig,
  openDatabase,
  type OpenDatabaseOptions,
  runMigrations,
} from '../persistence/index.js';
import { type PostgresEventStoreOptions } from '../event-store/postgres/postgres-event-store.js';
import { createEventStore } from './event-store.js';

/** What the runtime needs of the configuration: where Postgres is, and which event store. */
export type RuntimeConfig = DatabaseConfig & Partial<Pick<TenantryConfig, 'eventStoreUrl'>>;

export interface RuntimeOptions extends OpenDatabaseOptions {
  /** Tuning of the Postgres event store (tests poll the log faster or slower than the service). */
  readonly postgresEventStore?: PostgresEventStoreOptions;
}

/** What the api, the projector and the cli run on: Postgres (migrated) and the event store. */
export interface Runtime {
  readonly database: Database;
  readonly eventStore: EventStore;
  /** Closes the event store, then the database (which stops an embedded Postgres). */
  close(): Promise<void>;
}

/** Opens Postgres (starting the embedded one if needed), migrates it, and opens the event store. */
export async function startRuntime(
  config: RuntimeConfig,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const database = await openDatabase(config, logger, options);
  try {
    const applied = await runMigrations(database.ownerPool, database.owner);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    const eventStore = await createEventStore(config, database.ownerPool, options.postgresEventStore);
    logger.info({ eventStore: config.eventStoreUrl ? 'eventstoredb' : 'postgres' }, 'event store ready');
    return {
      database,
      eventStore,
      async close() {
        await eventStore
          .close()
          .catch((error: unknown) => logger.warn({ err: error }, 'closing the event store failed'));
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
