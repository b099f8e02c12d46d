import type pg from 'pg';
import { type TenantryConfig } from '../../libs/config/index.js';
import { type EventStore } from '../../libs/event-store/index.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';

/** Injection token of the process's EventStore (DESIGN.md §2): see createEventStore. */
export const EVENT_STORE = Symbol('EventStore');

/**
 * EVENTSTORE_URL selects EventStoreDB; without it the log lives in Postgres,
 * written as the owner role (the app role has no access to it). The
 * EventStoreDB adapter is loaded only when asked for, so the embedded
 * default never loads the gRPC client.
 */
export async function createEventStore(
  config: Pick<TenantryConfig, 'eventStoreUrl'>,
  ownerPool: pg.Pool,
): Promise<EventStore> {
  if (config.eventStoreUrl) {
    const { EventStoreDbEventStore } =
      await import('../../libs/event-store/eventstoredb/eventstoredb-event-store.js');
    return EventStoreDbEventStore.fromConnectionString(config.eventStoreUrl);
  }
  return new PostgresEventStore(ownerPool);
}
