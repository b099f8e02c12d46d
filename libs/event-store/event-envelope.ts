import { type Position } from './position.js';

/**
 * Metadata every event carries (DESIGN.md §6). `orgId` is absent only on
 * user events, which belong to no tenant.
 */
export interface EventMetadata {
  readonly eventId: string;
  readonly orgId?: string;
  /** The user (or `operator`) whose command emitted the event; null for system events. */
  readonly actorId: string | null;
  readonly correlationId: string;
  readonly causationId: string;
  /** ISO-8601 instant the command was decided at, from the command's clock. */
  readonly occurredAt: string;
  readonly schemaVersion: number;
}

/**
 * Metadata read back from a store that keeps it as opaque JSON (EventStoreDB):
 * checked field by field rather than trusted, so an event written by
 * something other than Tenantry fails where it is read, naming the field,
 * instead of somewhere downstream.
 */
export function eventMetadataOf(value: unknown, what: string): EventMetadata {
  const fail = (field: string): never => {
    throw new TypeError(`metadata of ${what}: ${field} is missing or of the wrong type`);
  };
  if (typeof value !== 'object' || value === null) return fail('the whole');
  const m = value as Record<string, unknown>;
  const text = (field: string) => (typeof m[field] === 'string' ? (m[field] as string) : fail(field));
  const metadata: EventMetadata = {
    eventId: text('eventId'),
    actorId: m.actorId === null ? null : text('actorId'),
    correlationId: text('correlationId'),
    causationId: text('causationId'),
    occurredAt: text('occurredAt'),
    schemaVersion: Number.isInteger(m.schemaVersion) ? (m.schemaVersion as number) : fail('schemaVersion'),
  };
  if (m.orgId === undefined) return metadata;
  return { ...metadata, orgId: text('orgId') };
}

/** An event proposed for appending. `type` equals the event's TypeScript type name. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

/** An event as the log holds it. */
export interface RecordedEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  readonly streamName: string;
  /** 0-based index of the event within its stream. */
  readonly revision: number;
  readonly position: Position;
  /** When the store recorded it (not the domain time: see metadata.occurredAt). */
  readonly recordedAt: Date;
}

/**
 * Where an event sits in the log, and when it happened: what read models
 * record as "granted by", what decider states keep beside every fact, and
 * what libs/authz names in its reasons (DESIGN.md §5: "the event (id,
 * position, time)"). Plain strings, so the pure libraries can hold it:
 * positions are opaque strings that sort like the log (position.ts).
 */
export interface EventRef {
  readonly eventId: string;
  readonly position: string;
  /** ISO-8601 `occurredAt` from the event's metadata. */
  readonly occurredAt: string;
}

export function eventRefOf(event: RecordedEvent): EventRef {
  return { eventId: event.metadata.eventId, position: event.position, occurredAt: event.metadata.occurredAt };
}
