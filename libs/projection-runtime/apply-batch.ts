import type pg from 'pg';
import { type RecordedEvent } from '../event-store/index.js';
import { LazyTenant } from './lazy-tenant.js';
import { openBatch, type ProjectedEvent, type Projection } from './projection.js';

/** Lifts a stored payload to the current schema version (libs/domain/upcasting). */
export type Upcast = (event: { type: string; schemaVersion: number; data: unknown }) => unknown;

/** The event as projections see it: upcast, with its ref and tenant. */
export function toProjectedEvent(event: RecordedEvent, upcast: Upcast): ProjectedEvent {
  return {
    type: event.type,
    data: upcast({ type: event.type, schemaVersion: event.metadata.schemaVersion, data: event.data }),
    ref: {
      eventId: event.metadata.eventId,
      position: event.position,
      occurredAt: event.metadata.occurredAt,
    },
    orgId: event.metadata.orgId ?? null,
    actorId: event.metadata.actorId,
    streamName: event.streamName,
    recordedAt: event.recordedAt,
  };
}

/**
 * Applies events to a projection inside the caller's open transaction, as
 * one batch (projection.ts `batch`), each event's statements under its
 * org's tenant (lazy-tenant.ts). It neither begins nor commits: the
 * caller commits rows and checkpoint together.
 */
export async function applyEvents(
  client: pg.ClientBase,
  projection: Projection,
  events: readonly RecordedEvent[],
  upcast: Upcast,
): Promise<void> {
  const batch = openBatch(projection);
  const tenant = new LazyTenant(client);
  for (const recorded of events) {
    const event = toProjectedEvent(recorded, upcast);
    tenant.bind(event.orgId);
    await batch.apply(tenant.client, event);
  }
  await batch.finish(tenant.client);
}
