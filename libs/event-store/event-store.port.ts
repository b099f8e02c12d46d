import { type NewEvent, type RecordedEvent } from './event-envelope.js';
import { type Position } from './position.js';

/** Append to a stream whatever its state. */
export const ANY = 'any' as const;
/** Append only if the stream has no events yet (creation, reservations). */
export const NO_STREAM = 'no_stream' as const;
/** Append only if the stream has at least one event. */
export const STREAM_EXISTS = 'stream_exists' as const;

/**
 * What the writer believes the stream's revision is: one of the three
 * keywords, or the exact 0-based revision of the stream's last event.
 */
export type ExpectedRevision = typeof ANY | typeof NO_STREAM | typeof STREAM_EXISTS | number;

export interface AppendResult {
  /** Revision of the last event appended (the value to expect next time). */
  readonly nextExpectedRevision: number;
  /** Global position of the last event appended: the command's consistency token. */
  readonly position: Position;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /**
   * First revision to return (inclusive). Defaults to the first event going
   * forwards and to the last going backwards.
   */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events strictly after this position. Defaults to the start of the log. */
  readonly after?: Position;
  /** Only streams whose name starts with this prefix (one tenant's history). */
  readonly streamPrefix?: string;
  /**
   * Leaves out the streams whose name ends with this (`/messages`: a
   * tenant's ACL history without its chats' messages, which are most of its
   * events and change nobody's access). A literal, not a pattern.
   */
  readonly excludeStreamSuffix?: string;
  readonly maxCount?: number;
}

export interface CountEventsOptions {
  /** Count events up to this position, inclusive (a head position read before). */
  readonly upTo: Position;
  /** Only streams whose name starts with this prefix. */
  readonly streamPrefix?: string;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position (a checkpoint). Defaults to the start. */
  readonly after?: Position;
  readonly streamPrefix?: string;
}

export type SubscriptionMessage =
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  /** Sent once, when the subscription has delivered everything recorded so far and goes live. */
  | { readonly kind: 'caughtUp' };

/**
 * A catch-up subscription to the whole log: every event after the starting
 * position, in position order, each exactly once, then live events as they
 * are recorded. It is pull-based: events are fetched as the consumer asks for
 * them, so a slow consumer holds back the fetching instead of making the
 * process buffer the log.
 */
export interface Subscription extends AsyncIterable<SubscriptionMessage> {
  /** Ends the iteration; pending `next()` calls resolve with `done`. */
  close(): Promise<void>;
}

/**
 * The event log (DESIGN.md §2, §6, §7). Streams hold one aggregate instance
 * each; the log orders every event of every stream by a global position.
 *
 * Readers of the whole log (readAll, subscribeToAll, headPosition) see an
 * appended event once its place in the order is final: at once with
 * EventStoreDB; with Postgres, once every transaction that began writing
 * before it has finished, which is what lets no reader skip an event. Reads
 * of one stream see an append as soon as it returns.
 */
export interface EventStore {
  /**
   * Appends all events or none. Throws WrongExpectedVersion when the stream
   * is not at `expected`; nothing is appended then. An empty `events` list is
   * refused (a command that decides nothing appends nothing).
   */
  append(streamName: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;

  /** Events of one stream, in revision order (or reversed). A missing stream reads as empty. */
  readStream(streamName: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;

  /** Every recorded event after a position, in position order, optionally for one stream prefix. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;

  subscribeToAll(options?: SubscribeOptions): Subscription;

  /** Position of the newest event visible to readers (START when the log is empty). */
  headPosition(): Promise<Position>;

  /**
   * How many events readAll would hand out up to `upTo`, counted without
   * reading them: a store that can (Postgres counts in its index) offers it,
   * and callers of one that cannot read and count, or go without (a rebuild's
   * progress total, libs/projection-runtime rebuild.ts).
   */
  countEvents?(options: CountEventsOptions): Promise<number>;

  /** Cheap reachability check for /ready; throws when the store cannot be reached. */
  ping(): Promise<void>;

  close(): Promise<void>;
}
