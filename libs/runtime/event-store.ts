import type pg from 'pg';
import { type TenantryConfig } from '../config/index.js';
import { type EventStore } from '../event-store/index.js';
import {
  PostgresEventStore,
  type PostgresEventStoreOptions,
} from '../event-store/postgres/postgres-event-store.js';

/**
 * EVENTSTORE_URL selects EventStoreDB; without it the log lives in Postgres,
 * written as the owner role (the app role has no access to it). The
 * EventStoreDB adapter is loaded only when asked for, so the embedded
 * default never loads the gRPC client.
 */
export async function createEventStore(
  config: Partial<Pick<TenantryConfig, 'eventStoreUrl'>>,
  ownerPool: pg.Pool,
  postgresOptions?: PostgresEventStoreOptions,
): Promise<EventStore> {
  if (config.eventStoreUrl) {
    const { EventStoreDbEventStore } =
      await import('../event-store/eventstoredb/eventstoredb-event-store.js');
    return EventStoreDbEventStore.fromConnectionString(config.eventStoreUrl);
  }
  return new PostgresEventStore(ownerPool, postgresOptions);
}
