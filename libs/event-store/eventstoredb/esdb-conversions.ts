import {
  ANY as ESDB_ANY,
  type AppendExpectedRevision,
  CancelledError,
  convertToCommandError,
  DeadlineExceededError,
  type EventData,
  jsonEvent,
  type JSONType,
  NO_STREAM as ESDB_NO_STREAM,
  type Position as EsdbPosition,
  type ReadPosition,
  type RecordedEvent as EsdbRecordedEvent,
  START as ESDB_START,
  STREAM_EXISTS as ESDB_STREAM_EXISTS,
  UnavailableError,
} from '@eventstore/db-client';
import { eventMetadataOf, type NewEvent, type RecordedEvent } from '../event-envelope.js';
import { ANY, type ExpectedRevision, NO_STREAM, STREAM_EXISTS } from '../event-store.port.js';
import { EventStoreUnavailable } from '../errors.js';
import { decodePosition, encodePosition, type Position, START } from '../position.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Our metadata travels as the event's JSON metadata; its eventId is the
 * EventStoreDB event id. An id that is not a UUID is refused here: the server
 * would refuse it too, but only after the client sent it, and against a real
 * server the client sends every append of the process over one shared
 * BatchAppend call, which a malformed event should not get a chance to upset.
 */
export function toEventData(event: NewEvent): EventData {
  if (!UUID_PATTERN.test(event.metadata.eventId)) {
    throw new TypeError(`event id of ${event.type} is not a UUID: ${event.metadata.eventId}`);
  }
  assertJson(event.data, `data of ${event.type}`);
  assertJson(event.metadata, `metadata of ${event.type}`);
  return jsonEvent({
    id: event.metadata.eventId,
    type: event.type,
    data: event.data as JSONType,
    metadata: event.metadata,
  });
}

/**
 * The client serialises events inside an async Promise executor: a value
 * JSON.stringify refuses (a BigInt, a cycle, undefined) would escape as an
 * unhandled rejection and leave the append hanging until its deadline. So it
 * is refused here, before anything is sent, as the Postgres adapter does.
 */
function assertJson(value: unknown, what: string): void {
  if (JSON.stringify(value) === undefined) throw new TypeError(`${what} is not JSON`);
}

export function toRecordedEvent(event: EsdbRecordedEvent, position: EsdbPosition): RecordedEvent {
  return {
    streamName: event.streamId,
    revision: Number(event.revision),
    position: encodePosition(position.commit, position.prepare),
    recordedAt: event.created,
    type: event.type,
    data: event.data,
    metadata: eventMetadataOf(event.metadata, `${event.type} at ${event.streamId}@${event.revision}`),
  };
}

export function toExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case ANY:
      return ESDB_ANY;
    case NO_STREAM:
      return ESDB_NO_STREAM;
    case STREAM_EXISTS:
      return ESDB_STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** The log position to start reading `$all` from; START maps to the log's start, not to position 0/0. */
export function toReadPosition(position: Position): ReadPosition {
  if (position === START) return ESDB_START;
  const { high, low } = decodePosition(position);
  return { commit: high, prepare: low };
}

/**
 * Events of streams whose names start with `$` (`$settings`, `$stats-…`,
 * metadata streams `$$…`) and events whose types do (`$>` links,
 * `$metadata`) belong to the server, not to Tenantry.
 */
export function isSystemEvent(event: Pick<EsdbRecordedEvent, 'streamId' | 'type'>): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

/**
 * The client's connectivity failures become ours; anything else is the
 * caller's to see as it is. Some calls (the server-features probe before an
 * append) reject with the raw gRPC error, so it is converted first.
 */
export function translateError(error: unknown): unknown {
  const converted = error instanceof Error ? convertToCommandError(error) : error;
  if (
    converted instanceof UnavailableError ||
    converted instanceof DeadlineExceededError ||
    converted instanceof CancelledError
  ) {
    return new EventStoreUnavailable(`EventStoreDB: ${converted.message}`, { cause: converted });
  }
  return error;
}
