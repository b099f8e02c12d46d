import {
  type AllStreamResolvedEvent,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  type ResolvedEvent,
  START as ESDB_START,
  type StreamingRead,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { type NewEvent, type RecordedEvent } from '../event-envelope.js';
import {
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port.js';
import { EventStoreUnavailable, WrongExpectedVersion } from '../errors.js';
import { encodePosition, type Position, START } from '../position.js';
import {
  isSystemEvent,
  toEventData,
  toExpectedRevision,
  toReadPosition,
  toRecordedEvent,
  translateError,
} from './esdb-conversions.js';
import { EventStoreDbSubscription } from './eventstoredb-subscription.js';

/** Where a server reports no log position for an event read from its stream. */
const UNKNOWN_POSITION = { commit: 0n, prepare: 0n };

export interface EventStoreDbEventStoreOptions {
  /** How long ping() waits for an answer before declaring the store unreachable. */
  readonly pingTimeoutMs?: number;
}

/**
 * The production event store (DESIGN.md §3): EventStoreDB through the
 * official gRPC client. Our positions are its (commit, prepare) pairs.
 *
 * Needs EventStoreDB 23.10 or later (or KurrentDB): subscriptions report
 * going live with the server's caught_up message, which older servers never
 * send, and readAll for one stream prefix is a filtered subscription that
 * stops there, because the client's readAll has no server-side filter.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private readonly pingTimeoutMs: number;

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbEventStoreOptions = {},
  ) {
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
  }

  static fromConnectionString(url: string, options?: EventStoreDbEventStoreOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(url), options);
  }

  async append(
    streamName: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new RangeError('append needs at least one event');
    let result;
    try {
      result = await this.client.appendToStream(streamName, events.map(toEventData), {
        expectedRevision: toExpectedRevision(expected),
      });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === 'no_stream' ? -1 : Number(error.actualVersion);
        throw new WrongExpectedVersion(streamName, expected, actual);
      }
      throw translateError(error);
    }
    // Only with `throwOnAppendFailure=false` in the connection string does a conflict arrive as a result.
    if (!result.success) {
      throw new WrongExpectedVersion(streamName, expected, Number(result.nextExpectedRevision));
    }
    if (result.position === undefined) {
      throw new EventStoreUnavailable('EventStoreDB answered an append without a position');
    }
    return {
      nextExpectedRevision: Number(result.nextExpectedRevision),
      position: encodePosition(result.position.commit, result.position.prepare),
    };
  }

  async *readStream(streamName: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    if (options.maxCount !== undefined && options.maxCount <= 0) return;
    const backwards = options.direction === 'backwards';
    const fromRevision =
      options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : ESDB_START;
    const read = this.client.readStream(streamName, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision,
      ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
    });
    try {
      for await (const { event } of lazily<ResolvedEvent>(read)) {
        // A server that does not report log positions on stream reads leaves them as START here.
        if (event !== undefined) yield toRecordedEvent(event, event.position ?? UNKNOWN_POSITION);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return;
      throw translateError(error);
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const after = options.after ?? START;
    const events =
      options.streamPrefix === undefined
        ? this.readAllUnfiltered(after)
        : this.readAllOfPrefix(after, options.streamPrefix);
    const { excludeStreamSuffix } = options;
    for await (const event of events) {
      // Left out here rather than by the server: its stream filter takes prefixes, and a regex
      // would also have to keep the prefix's own escaping right.
      if (excludeStreamSuffix !== undefined && event.streamName.endsWith(excludeStreamSuffix)) continue;
      yield event;
      if (--remaining === 0) return;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const after = options.after ?? START;
    const { streamPrefix } = options;
    const subscription: EventStoreDbSubscription = new EventStoreDbSubscription({
      after,
      streamPrefix,
      open: () =>
        this.client.subscribeToAll({
          fromPosition: toReadPosition(after),
          filter:
            streamPrefix === undefined
              ? excludeSystemEvents()
              : streamNameFilter({ prefixes: [streamPrefix] }),
        }),
      onRelease: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position> {
    // The newest events are often the server's own ($stats-… every few seconds): walk back past them.
    const read = this.client.readAll({ fromPosition: END, direction: BACKWARDS });
    try {
      for await (const { event } of lazily<AllStreamResolvedEvent>(read)) {
        if (event !== undefined && !isSystemEvent(event)) {
          return encodePosition(event.position.commit, event.position.prepare);
        }
      }
      return START;
    } catch (error) {
      throw translateError(error);
    }
  }

  async ping(): Promise<void> {
    const read = this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new EventStoreUnavailable(`EventStoreDB did not answer within ${this.pingTimeoutMs} ms`)),
        this.pingTimeoutMs,
      );
    });
    const drained = drain(read);
    // Whatever the read does after losing the race is of no interest, and must not surface as unhandled.
    drained.catch(() => undefined);
    try {
      await Promise.race([drained, timeout]);
    } catch (error) {
      throw translateError(error);
    } finally {
      clearTimeout(timer);
      await read.cancel();
    }
  }

  /** Ends open subscriptions, then the client's calls. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /** `$all` without a filter (the client's readAll has none), skipping the server's events here. */
  private async *readAllUnfiltered(after: Position): AsyncIterable<RecordedEvent> {
    const read = this.client.readAll({ fromPosition: toReadPosition(after), direction: FORWARDS });
    try {
      for await (const { event } of lazily<AllStreamResolvedEvent>(read)) {
        if (event === undefined || isSystemEvent(event)) continue;
        const recorded = toRecordedEvent(event, event.position);
        // Reading $all from a position includes the event at it; ours is exclusive.
        if (recorded.position > after) yield recorded;
      }
    } catch (error) {
      throw translateError(error);
    }
  }

  /**
   * One prefix's events, filtered by the server: a replay of one tenant must
   * not pull every other tenant's events over the wire (DESIGN.md §6).
   */
  private async *readAllOfPrefix(after: Position, streamPrefix: string): AsyncIterable<RecordedEvent> {
    const subscription = this.subscribeToAll({ after, streamPrefix });
    try {
      for await (const message of subscription) {
        if (message.kind === 'caughtUp') return;
        yield message.event;
      }
    } finally {
      await subscription.close();
    }
  }
}

/**
 * Iterates a client read one message at a time, and cancels the server's
 * side when the consumer stops early: leaving a `for await` only destroys
 * the local stream, while the call stays open on the server.
 */
async function* lazily<T>(read: StreamingRead<T>): AsyncIterable<T> {
  let finished = false;
  try {
    for await (const item of read) yield item as T;
    finished = true;
  } finally {
    if (!finished) await read.cancel();
  }
}

async function drain(read: StreamingRead<unknown>): Promise<void> {
  for await (const _ of read);
}
