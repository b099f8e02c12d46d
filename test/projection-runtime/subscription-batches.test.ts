import { describe, expect, it } from '@jest/globals';
import { type RecordedEvent, type SubscriptionMessage } from '../../libs/event-store/index.js';
import { SubscriptionBatches } from '../../libs/projection-runtime/subscription-batches.js';

/**
 * A subscription the test feeds by hand: messages pushed before a `next()`
 * are "already there"; a `next()` with nothing queued waits for the next push.
 */
class ManualSubscription implements AsyncIterable<SubscriptionMessage> {
  private readonly queued: Array<IteratorResult<SubscriptionMessage>> = [];
  private readonly waiting: Array<(result: IteratorResult<SubscriptionMessage>) => void> = [];
  requests = 0;

  event(id: string): this {
    return this.push({ done: false, value: { kind: 'event', event: { position: id } as RecordedEvent } });
  }

  caughtUp(): this {
    return this.push({ done: false, value: { kind: 'caughtUp' } });
  }

  end(): this {
    return this.push({ done: true, value: undefined });
  }

  private push(result: IteratorResult<SubscriptionMessage>): this {
    const waiter = this.waiting.shift();
    if (waiter) waiter(result);
    else this.queued.push(result);
    return this;
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    return {
      next: () => {
        this.requests++;
        const queued = this.queued.shift();
        return queued ? Promise.resolve(queued) : new Promise((resolve) => this.waiting.push(resolve));
      },
    };
  }
}

const positions = (batch: { events: readonly RecordedEvent[] } | undefined) =>
  batch?.events.map((e) => e.position as string);

describe('SubscriptionBatches', () => {
  it('fills a batch with what is already there, up to the batch size', async () => {
    const subscription = new ManualSubscription().event('a').event('b').event('c').event('d').event('e');
    const batches = new SubscriptionBatches(subscription, 2);

    expect(positions(await batches.next())).toEqual(['a', 'b']);
    expect(positions(await batches.next())).toEqual(['c', 'd']);
    expect(positions(await batches.next())).toEqual(['e']);
  });

  it('ends a batch at a message that is not there yet, and starts the next batch with it', async () => {
    const subscription = new ManualSubscription().event('a');
    const batches = new SubscriptionBatches(subscription, 10);

    expect(positions(await batches.next())).toEqual(['a']);
    const requestsAfterFirstBatch = subscription.requests;
    const second = batches.next();
    subscription.event('b').event('c');

    expect(positions(await second)).toEqual(['b', 'c']);
    // The next() that lost the race was reused, not asked again: one request per message, plus one pending.
    expect(requestsAfterFirstBatch).toBe(2);
    expect(subscription.requests).toBe(4);
  });

  it('ends a batch at caughtUp and reports it with the events before it', async () => {
    const subscription = new ManualSubscription().event('a').event('b').caughtUp().event('c');
    const batches = new SubscriptionBatches(subscription, 10);

    const first = await batches.next();
    expect(positions(first)).toEqual(['a', 'b']);
    expect(first?.caughtUp).toBe(true);
    expect(await batches.next()).toEqual({
      events: [expect.objectContaining({ position: 'c' })],
      caughtUp: false,
    });
  });

  it('reports a caughtUp with no events before it as an empty batch', async () => {
    const batches = new SubscriptionBatches(new ManualSubscription().caughtUp(), 10);

    expect(await batches.next()).toEqual({ events: [], caughtUp: true });
  });

  it('returns the events it holds when the subscription ends, then nothing', async () => {
    const batches = new SubscriptionBatches(new ManualSubscription().event('a').end(), 10);

    expect(positions(await batches.next())).toEqual(['a']);
    expect(await batches.next()).toBeUndefined();
  });

  it('passes on an error of the subscription', async () => {
    const failing: AsyncIterable<SubscriptionMessage> = {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('store unreachable')) }),
    };

    await expect(new SubscriptionBatches(failing, 10).next()).rejects.toThrow('store unreachable');
  });
});
