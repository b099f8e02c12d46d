import { type RecordedEvent, type SubscriptionMessage } from '../event-store/index.js';

/** What the runner commits in one transaction. */
export interface SubscriptionBatch {
  /** In log order; empty only when the batch is the `caughtUp` signal alone. */
  readonly events: readonly RecordedEvent[];
  /** The subscription reported it had delivered everything recorded so far, right after these events. */
  readonly caughtUp: boolean;
}

/**
 * Cuts a subscription into batches, the same way during catch-up and live
 * (DESIGN.md §7: one code path). A batch starts with whatever message comes
 * next, however long that takes, and then takes every further message that
 * is already there: a message is "there" when its `next()` settles before a
 * `setImmediate`, which is the case for an event of a page the subscription
 * has already fetched and not for one that needs a query. So catch-up fills
 * batches up to `batchSize` from the pages the store reads anyway, while a
 * live event is committed as soon as it arrives instead of waiting for
 * company. `caughtUp` ends a batch.
 *
 * A `next()` that loses the race stays pending and starts the following
 * batch: a message is never requested twice nor dropped.
 */
export class SubscriptionBatches {
  private readonly iterator: AsyncIterator<SubscriptionMessage>;
  private pending: Promise<IteratorResult<SubscriptionMessage>> | undefined;
  /** The iterator said done: never ask it again (the protocol does not promise another done). */
  private ended = false;

  constructor(
    messages: AsyncIterable<SubscriptionMessage>,
    private readonly batchSize: number,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be 1 or more');
    this.iterator = messages[Symbol.asyncIterator]();
  }

  /** The next batch; undefined once the subscription has ended (it was closed). */
  async next(): Promise<SubscriptionBatch | undefined> {
    if (this.ended) return undefined;
    const first = await this.take();
    if (first.done) {
      this.ended = true;
      return undefined;
    }
    if (first.value.kind === 'caughtUp') return { events: [], caughtUp: true };
    const events = [first.value.event];
    while (events.length < this.batchSize) {
      const next = await this.takeIfReady();
      if (!next) break;
      if (next.done) {
        this.ended = true;
        break;
      }
      if (next.value.kind === 'caughtUp') return { events, caughtUp: true };
      events.push(next.value.event);
    }
    return { events, caughtUp: false };
  }

  private take(): Promise<IteratorResult<SubscriptionMessage>> {
    const next = this.pending ?? this.iterator.next();
    this.pending = undefined;
    return next;
  }

  /** The next message if it is already there; otherwise undefined, keeping its `next()` for later. */
  private async takeIfReady(): Promise<IteratorResult<SubscriptionMessage> | undefined> {
    const pending = this.pending ?? this.iterator.next();
    // A rejection is rethrown by whoever takes the message; until then it is not "unhandled".
    pending.catch(() => undefined);
    this.pending = pending;
    const settled = await Promise.race([
      pending.then((result) => ({ result })),
      new Promise<undefined>((resolve) => setImmediate(resolve, undefined)),
    ]);
    if (!settled) return undefined;
    this.pending = undefined;
    return settled.result;
  }
}
