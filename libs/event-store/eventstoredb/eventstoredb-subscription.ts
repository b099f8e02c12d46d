import { type AllStreamResolvedEvent, type AllStreamSubscription } from '@eventstore/db-client';
import { type RecordedEvent } from '../event-envelope.js';
import { type Subscription, type SubscriptionMessage } from '../event-store.port.js';
import { EventStoreUnavailable } from '../errors.js';
import { type Position } from '../position.js';
import { isSystemEvent, toRecordedEvent, translateError } from './esdb-conversions.js';

export interface EventStoreDbSubscriptionOptions {
  /** Opens the client's subscription: called on the first `next()`, never before. */
  readonly open: () => AllStreamSubscription;
  readonly after: Position;
  readonly streamPrefix: string | undefined;
  /** Called once, when the subscription is closed or has failed, so its owner can forget it. */
  readonly onRelease: () => void;
}

/**
 * Our Subscription over the client's `subscribeToAll` stream.
 *
 * The client reports "caught up" as an event on the side, not in the data:
 * when it fires, every event before it is already in the stream's buffer. So
 * this reads the buffer itself (paused mode, one `read()` per message) and
 * notes how many events had been buffered at that moment; the caughtUp
 * message goes out exactly after that many. Reading one message at a time is
 * also the backpressure: an unread buffer stops the client reading the
 * socket, which stops the server.
 *
 * The server sends caught_up again after a slow subscriber fell behind and
 * caught up anew; only the first one is passed on.
 */
export class EventStoreDbSubscription implements Subscription {
  private source: AllStreamSubscription | undefined;
  private closed = false;
  private started = false;
  private released: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: EventStoreDbSubscriptionOptions) {}

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp();
    await this.release();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    if (this.started) throw new Error('a subscription can be iterated once');
    this.started = true;
    if (this.closed) return;
    const source = this.options.open();
    this.source = source;

    let read = 0;
    let caughtUpAfter: number | undefined;
    let caughtUpSent = false;
    let ended = false;
    let failure: unknown;
    // Listeners go on before anything else: the client emits 'error' itself, and an unheard one would crash the process.
    source.on('error', (error: unknown) => {
      failure ??= error;
      this.wakeUp();
    });
    source.on('readable', () => this.wakeUp());
    source.on('end', () => {
      ended = true;
      this.wakeUp();
    });
    source.on('caughtUp', () => {
      caughtUpAfter ??= read + source.readableLength;
      this.wakeUp();
    });

    let after = this.options.after;
    try {
      while (!this.closed) {
        if (!caughtUpSent && caughtUpAfter !== undefined && read >= caughtUpAfter) {
          caughtUpSent = true;
          yield { kind: 'caughtUp' };
          continue;
        }
        const resolved = source.read() as AllStreamResolvedEvent | null;
        if (resolved !== null) {
          read++;
          const event = this.accept(resolved, after);
          if (event === undefined) continue;
          after = event.position;
          yield { kind: 'event', event };
          continue;
        }
        if (failure !== undefined) throw translateError(failure);
        if (ended) {
          throw new EventStoreUnavailable('EventStoreDB ended a subscription it should have kept open');
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await this.release();
    }
  }

  /**
   * The server filters already (by prefix, or system events out); checking
   * again costs nothing and keeps "strictly after, each event once" true
   * whatever the server's edge cases.
   */
  private accept(resolved: AllStreamResolvedEvent, after: Position): RecordedEvent | undefined {
    const event = resolved.event;
    if (event === undefined || isSystemEvent(event)) return undefined;
    const { streamPrefix } = this.options;
    if (streamPrefix !== undefined && !event.streamId.startsWith(streamPrefix)) return undefined;
    const recorded = toRecordedEvent(event, event.position);
    return recorded.position > after ? recorded : undefined;
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private release(): Promise<void> {
    this.released ??= (async () => {
      const source = this.source;
      if (source !== undefined) {
        // A subscription whose call never opened has nothing to cancel; closing it must still succeed.
        await source.unsubscribe().catch(() => undefined);
        source.destroy();
      }
      this.options.onRelease();
    })();
    return this.released;
  }
}
