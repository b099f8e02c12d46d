import { type ExpectedRevision } from './event-store.port.js';

/**
 * The stream was not at the revision the writer expected: someone else
 * appended first (or the stream does (not) exist). Nothing was appended.
 * `actual` is the stream's revision when known; -1 means "no stream".
 */
export class WrongExpectedVersion extends Error {
  override readonly name = 'WrongExpectedVersion';
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | undefined,
  ) {
    super(
      `stream ${streamName}: expected revision ${String(expected)}, actual ${actual === undefined ? 'unknown' : actual === -1 ? 'no stream' : actual}`,
    );
  }
}

/** The event store could not be reached or answered with a failure that is not the caller's. */
export class EventStoreUnavailable extends Error {
  override readonly name = 'EventStoreUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
