import type { Logger } from 'pino';
import { type TenantryConfig } from '../../libs/config/index.js';
import { type EventStore } from '../../libs/event-store/index.js';
import {
  type Database,
  openDatabase,
  type OpenDatabaseOptions,
  runMigrations,
} from '../../libs/persistence/index.js';
import { createEventStore } from './event-store.provider.js';

/** Injection token of the process's Database (libs/persistence). */
export const DATABASE = Symbol('Database');
/** Injection token of the operator token (DESIGN.md §4). */
export const OPERATOR_TOKEN = Symbol('OperatorToken');

/** What the api and the projector run on: Postgres (migrated) and the event store. */
export interface Runtime {
  readonly database: Database;
  readonly eventStore: EventStore;
  /** Closes the event store, then the database (which stops an embedded Postgres). */
  close(): Promise<void>;
}

/** Opens Postgres (starting the embedded one if needed), migrates it, and opens the event store. */
export async function startRuntime(
  config: TenantryConfig,
  logger: Logger,
  options?: OpenDatabaseOptions,
): Promise<Runtime> {
  const database = await openDatabase(config, logger, options);
  try {
    const applied = await runMigrations(database.ownerPool, database.owner);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    const eventStore = await createEventStore(config, database.ownerPool);
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
