import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { type Decider, type DomainEvent, type Recorded } from '../domain/kernel/index.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import {
  type EventStore,
  eventRefOf,
  type ExpectedRevision,
  NO_STREAM,
  type NewEvent,
  type Position,
  type RecordedEvent,
  START,
} from '../event-store/index.js';
import { type CommandContext } from './command-context.js';
import { StreamLocks } from './stream-locks.js';

export interface LoadedAggregate<State> {
  readonly state: State;
  /** Revision of the stream's last event; NO_STREAM when it has none. */
  readonly expected: ExpectedRevision;
  /** Position of the stream's last event (START when none): the token of a command that changed nothing. */
  readonly position: Position;
}

export interface AggregateStoreOptions {
  /**
   * Bound of the state cache, counted in events folded into the cached
   * states (a stream of r revisions weighs r + 1): a stand-in for memory
   * that never under-counts, since a state holds at most one entry per event.
   * 0 turns the cache off (every load replays its stream from the start).
   */
  readonly cacheEvents?: number;
  /** Bound of the state cache in streams. */
  readonly cacheStreams?: number;
  /** Events folded between two yields to the event loop, so a long replay never blocks it for long. */
  readonly yieldEvery?: number;
}

export const DEFAULT_CACHE_EVENTS = 250_000;
export const DEFAULT_CACHE_STREAMS = 20_000;
export const DEFAULT_YIELD_EVERY = 1_000;

/** A state as of a revision of its stream, folded by `decider`. States are persistent, so one may be shared. */
interface CachedState {
  readonly decider: object;
  readonly state: unknown;
  readonly revision: number;
  readonly position: Position;
}

/**
 * Loads aggregates from their streams and appends what their deciders
 * decide, wrapping each domain event in the envelope of DESIGN.md §6.
 *
 * Loads go through a bounded LRU cache of folded states (see README.md, "The
 * command side"): a load starts from the cached state and reads the stream
 * from the cached revision + 1 to its head, so every load still ends at the
 * head, but reads only what was appended since the last load in this
 * process. Decider states never change once made (their collections are
 * persistent, libs/domain/kernel/persistent.ts), so a cached state can be
 * handed to any number of concurrent loads and catch-ups at once.
 */
export class AggregateStore {
  /** Commands on one stream run one at a time in this process (executeCommand). */
  readonly streamLocks = new StreamLocks();
  private readonly cache: LRUCache<string, CachedState> | null;
  /** Cold loads in flight: a second cold load of a stream waits for the first, then catches up from it. */
  private readonly coldLoads = new Map<string, Promise<unknown>>();
  private readonly yieldEvery: number;

  constructor(
    readonly eventStore: EventStore,
    private readonly upcasters: UpcasterRegistry,
    private readonly newId: () => string = randomUUID,
    options: AggregateStoreOptions = {},
  ) {
    const cacheEvents = options.cacheEvents ?? DEFAULT_CACHE_EVENTS;
    this.cache =
      cacheEvents > 0
        ? new LRUCache<string, CachedState>({
            max: options.cacheStreams ?? DEFAULT_CACHE_STREAMS,
            maxSize: cacheEvents,
            sizeCalculation: (entry) => entry.revision + 1,
          })
        : null;
    this.yieldEvery = options.yieldEvery ?? DEFAULT_YIELD_EVERY;
  }

  async load<Event extends DomainEvent, State>(
    decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
    streamName: string,
  ): Promise<LoadedAggregate<State>> {
    let cached = this.cached(decider, streamName);
    if (!cached && this.cache) {
      const cold = this.coldLoads.get(streamName);
      if (cold) {
        await cold.catch(() => undefined);
        cached = this.cached(decider, streamName);
      } else {
        const loading = this.catchUp(decider, streamName, undefined);
        this.coldLoads.set(streamName, loading);
        try {
          return await loading;
        } finally {
          this.coldLoads.delete(streamName);
        }
      }
    }
    return this.catchUp(decider, streamName, cached);
  }

  /** Folds the stream's events after `from` (all of them without it) into its state, and caches the result. */
  private async catchUp<Event extends DomainEvent, State>(
    decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
    streamName: string,
    from: CachedState | undefined,
  ): Promise<LoadedAggregate<State>> {
    let state = from ? (from.state as State) : decider.initialState;
    let revision = from?.revision ?? -1;
    let position = from?.position ?? START;
    let folded = 0;
    for await (const event of this.eventStore.readStream(streamName, { fromRevision: revision + 1 })) {
      if (event.revision !== revision + 1) {
        // Streams only grow one revision at a time; anything else means the cached state is not this stream's.
        this.cache?.delete(streamName);
        throw new Error(`${streamName}: read revision ${event.revision} after ${revision}`);
      }
      state = decider.evolve(state, this.toDomainEvent<Event>(event));
      revision = event.revision;
      position = event.position;
      if (++folded % this.yieldEvery === 0) await yieldToEventLoop();
    }
    if (revision < 0) return { state, expected: NO_STREAM, position: START };
    if (folded > 0) this.remember(streamName, { decider, state, revision, position });
    return { state, expected: revision, position };
  }

  private cached(decider: object, streamName: string): CachedState | undefined {
    const entry = this.cache?.get(streamName);
    return entry && entry.decider === decider ? entry : undefined;
  }

  /** Keeps the newest state: a slower concurrent load must not put an older one back. */
  private remember(streamName: string, entry: CachedState): void {
    if (!this.cache) return;
    const current = this.cache.peek(streamName);
    if (current && current.decider === entry.decider && current.revision >= entry.revision) return;
    this.cache.set(streamName, entry);
  }

  envelope(events: readonly DomainEvent[], context: CommandContext, orgId: string | undefined): NewEvent[] {
    const occurredAt = context.now.toISOString();
    return events.map((event) => ({
      type: event.type,
      data: event.data,
      metadata: {
        eventId: this.newId(),
        ...(orgId ? { orgId } : {}),
        actorId: context.actorId,
        correlationId: context.correlationId,
        causationId: context.causationId,
        occurredAt,
        schemaVersion: this.upcasters.currentVersion(event.type),
      },
    }));
  }

  /** An event of the log as its decider reads it: current shape, and where it sits. */
  toDomainEvent<Event extends DomainEvent>(event: RecordedEvent): Recorded<Event> {
    const data = this.upcasters.upcast({
      type: event.type,
      schemaVersion: event.metadata.schemaVersion,
      data: event.data,
    });
    const recorded: Recorded<DomainEvent> = {
      type: event.type,
      data: data as object,
      ref: eventRefOf(event),
    };
    // The log holds the payload this aggregate's decider wrote, upcast to its current shape, and
    // its evolve ends every switch in assertNever: narrowing to the decider's own events is safe.
    return recorded as Recorded<Event>;
  }
}
