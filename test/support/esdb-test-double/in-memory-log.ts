/** An event as the test double holds it: the fields EventStoreDB records. */
export interface StoredEvent {
  /** Lower-case dashed UUID. */
  readonly id: string;
  readonly streamName: string;
  readonly revision: number;
  /** Commit and prepare position alike: the double writes one event per log record. */
  readonly position: bigint;
  readonly type: string;
  readonly contentType: string;
  /** .NET ticks since the Unix epoch (ms × 10 000), as the server reports `created`. */
  readonly createdTicks: bigint;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export type ProposedEvent = Pick<StoredEvent, 'id' | 'type' | 'contentType' | 'data' | 'customMetadata'>;

export type ExpectedStreamState =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: number };

/** `currentRevision` is -1 when the stream does not exist, as EventStoreDB counts. */
export type AppendOutcome =
  | { readonly ok: true; readonly currentRevision: number; readonly position: bigint | undefined }
  | { readonly ok: false; readonly currentRevision: number };

/**
 * Record overhead added to each position on top of the payload size. Real
 * positions are byte offsets in the transaction file, so they grow by uneven
 * steps; an adapter that assumed `position + 1` is the next event would pass
 * against consecutive integers and fail against a real server.
 */
const RECORD_OVERHEAD = 64n;

/**
 * The double's whole database: one ordered array of events (the `$all`
 * stream) and, per stream, the indexes of its events. Node runs each append
 * to completion before anything else can look, which is what makes appends
 * atomic and concurrent writers safe without locks.
 */
export class InMemoryEventLog {
  private readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, number[]>();
  private nextPosition = RECORD_OVERHEAD;
  private appended = deferred();

  get length(): number {
    return this.events.length;
  }

  at(index: number): StoredEvent {
    const event = this.events[index];
    if (event === undefined) throw new RangeError(`no event at index ${index}`);
    return event;
  }

  /** Indexes into the log of the stream's events, in revision order; undefined for a missing stream. */
  streamIndexes(streamName: string): readonly number[] | undefined {
    return this.streams.get(streamName);
  }

  /** Index of the first event whose position is at or after `position` (the log length if none). */
  firstIndexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.at(middle).position < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  append(
    streamName: string,
    expected: ExpectedStreamState,
    proposed: readonly ProposedEvent[],
  ): AppendOutcome {
    const indexes = this.streams.get(streamName);
    const currentRevision = indexes === undefined ? -1 : indexes.length - 1;
    if (!satisfies(expected, currentRevision)) return { ok: false, currentRevision };
    if (proposed.length === 0) return { ok: true, currentRevision, position: undefined };

    const streamIndexes = indexes ?? [];
    const createdTicks = BigInt(Date.now()) * 10_000n;
    let position = 0n;
    for (const event of proposed) {
      position = this.nextPosition;
      this.nextPosition += RECORD_OVERHEAD + BigInt(event.data.length + event.customMetadata.length);
      streamIndexes.push(this.events.length);
      this.events.push({ ...event, streamName, revision: streamIndexes.length - 1, position, createdTicks });
    }
    this.streams.set(streamName, streamIndexes);
    this.notifyAppended();
    return { ok: true, currentRevision: streamIndexes.length - 1, position };
  }

  /** Resolves on the next append, or when `until` aborts. */
  async nextAppend(until: AbortSignal): Promise<void> {
    if (until.aborted) return;
    let onAbort!: () => void;
    const aborted = new Promise<void>((resolve) => (onAbort = resolve));
    until.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([this.appended.promise, aborted]);
    } finally {
      until.removeEventListener('abort', onAbort);
    }
  }

  private notifyAppended(): void {
    const { resolve } = this.appended;
    this.appended = deferred();
    resolve();
  }
}

/** A promise and its resolve function (Promise.withResolvers arrives only in Node 22). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function satisfies(expected: ExpectedStreamState, currentRevision: number): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return currentRevision === -1;
    case 'stream_exists':
      return currentRevision !== -1;
    case 'revision':
      return currentRevision === expected.revision;
    default: {
      const unreachable: never = expected;
      return unreachable;
    }
  }
}
