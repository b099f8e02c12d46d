import { type RecordedEvent } from '../event-envelope.js';
import { type Subscription, type SubscriptionMessage } from '../event-store.port.js';
import { type Position } from '../position.js';
import { type NotifySignal } from './notify-signal.js';

/** A page of the log, and whether finished events wait behind a still-open transaction. */
export interface LogPage {
  readonly events: RecordedEvent[];
  readonly blocked: boolean;
}

export interface PageReader {
  readPage(after: Position, limit: number, streamPrefix?: string): Promise<LogPage>;
}

export interface PostgresSubscriptionOptions {
  readonly after: Position;
  readonly streamPrefix: string | undefined;
  readonly batchSize: number;
}

/** How soon to look again while finished events wait behind an open transaction. */
const BLOCKED_RETRY_MS = { first: 2, max: 100 };

/**
 * Catch-up and live delivery are one loop: read a page after the last
 * delivered position; when the page comes back short, the subscription has
 * caught up and waits for a notification (or the poll timer) before reading
 * again. Pages are read only when the consumer asks for more, which is the
 * backpressure: a slow consumer never makes this buffer more than one page.
 */
export class PostgresSubscription implements Subscription {
  private readonly closing = new AbortController();
  private started = false;

  constructor(
    private readonly reader: PageReader,
    private readonly signal: NotifySignal,
    private readonly options: PostgresSubscriptionOptions,
  ) {}

  async close(): Promise<void> {
    this.closing.abort();
  }

  private get closed(): boolean {
    return this.closing.signal.aborted;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    if (this.started) throw new Error('a subscription can be iterated once');
    this.started = true;
    let after = this.options.after;
    let caughtUp = false;
    let blockedDelay = BLOCKED_RETRY_MS.first;
    while (!this.closed) {
      const generation = this.signal.current;
      const { events, blocked } = await this.reader.readPage(
        after,
        this.options.batchSize,
        this.options.streamPrefix,
      );
      for (const event of events) {
        if (this.closed) return;
        yield { kind: 'event', event };
        after = event.position;
      }
      if (events.length === this.options.batchSize) continue;
      if (blocked) {
        await this.signal.wait(generation, blockedDelay, this.closing.signal);
        blockedDelay = Math.min(blockedDelay * 2, BLOCKED_RETRY_MS.max);
        continue;
      }
      blockedDelay = BLOCKED_RETRY_MS.first;
      if (!caughtUp) {
        caughtUp = true;
        yield { kind: 'caughtUp' };
        continue;
      }
      await this.signal.wait(generation, this.signal.pollIntervalMs, this.closing.signal);
    }
  }
}
