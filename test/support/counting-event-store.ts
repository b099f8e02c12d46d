import { type EventStore, type ReadStreamOptions, type RecordedEvent } from '../../libs/event-store/index.js';

/** What a CountingEventStore has seen since it was made or last reset. */
export interface ReadCounts {
  /** Events handed out by readStream, in total and by stream name. */
  events: number;
  byStream: Map<string, number>;
  /** readStream calls (each at least one round trip). */
  reads: number;
}

/**
 * An EventStore that forwards everything to a real one and counts what
 * stream reads hand out: the measure of what a command costs to load,
 * independent of the machine's speed.
 */
export class CountingEventStore implements EventStore {
  counts: ReadCounts = { events: 0, byStream: new Map(), reads: 0 };

  constructor(private readonly inner: EventStore) {}

  reset(): ReadCounts {
    const counts = this.counts;
    this.counts = { events: 0, byStream: new Map(), reads: 0 };
    return counts;
  }

  async *readStream(streamName: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    const counts = this.counts;
    counts.reads++;
    for await (const event of this.inner.readStream(streamName, options)) {
      counts.events++;
      counts.byStream.set(streamName, (counts.byStream.get(streamName) ?? 0) + 1);
      yield event;
    }
  }

  append: EventStore['append'] = (...args) => this.inner.append(...args);
  readAll: EventStore['readAll'] = (...args) => this.inner.readAll(...args);
  subscribeToAll: EventStore['subscribeToAll'] = (...args) => this.inner.subscribeToAll(...args);
  headPosition: EventStore['headPosition'] = () => this.inner.headPosition();
  /** Offered exactly when the inner store offers it. */
  get countEvents(): EventStore['countEvents'] {
    return this.inner.countEvents?.bind(this.inner);
  }
  ping: EventStore['ping'] = () => this.inner.ping();
  close: EventStore['close'] = () => this.inner.close();
}
