import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import {
  ANY,
  comparePositions,
  EventStoreUnavailable,
  NO_STREAM,
  START,
} from '../../libs/event-store/index.js';
import { EventStoreDbEventStore } from '../../libs/event-store/eventstoredb/eventstoredb-event-store.js';
import { EventStoreDbTestDouble } from '../support/esdb-test-double/index.js';
import { describeEventStoreContract, type ContractSubject } from './event-store.contract.js';
import { collect, newEvents, takeUntil } from './event-fixtures.js';

/**
 * The EventStoreDB adapter against the shared contract: always on the
 * in-process test double (no server can run on the development machines),
 * and also on a real server whenever EVENTSTORE_URL names one.
 */
async function onTestDouble(): Promise<ContractSubject & { raw: EventStoreDBClient }> {
  const double = await EventStoreDbTestDouble.start();
  const store = EventStoreDbEventStore.fromConnectionString(double.connectionString);
  const raw = EventStoreDBClient.connectionString(double.connectionString);
  return {
    store,
    raw,
    async teardown() {
      await store.close();
      await raw.dispose();
      await double.stop();
    },
  };
}

describeEventStoreContract('EventStoreDB adapter on the test double', onTestDouble);

const realServer = process.env.EVENTSTORE_URL;
if (realServer) {
  describeEventStoreContract('EventStoreDB adapter on EVENTSTORE_URL', async () => {
    const store = EventStoreDbEventStore.fromConnectionString(realServer);
    return { store, teardown: () => store.close() };
  });
}

/** What only this adapter has to get right: the server's own events share the log with ours. */
describe('EventStoreDB adapter: system events', () => {
  let subject: Awaited<ReturnType<typeof onTestDouble>>;
  let prefix: string;
  const systemEvent = () => jsonEvent({ type: '$statsCollected', data: { at: Date.now() } });

  beforeAll(async () => {
    subject = await onTestDouble();
  });
  afterAll(() => subject.teardown());
  beforeEach(() => {
    prefix = `system-${randomUUID().slice(0, 8)}/`;
  });

  it('reports the newest event of ours as the head, not a newer one of the server', async () => {
    const { position } = await subject.store.append(`${prefix}a`, newEvents(1), NO_STREAM);
    await subject.raw.appendToStream('$stats-127.0.0.1:2113', [systemEvent(), systemEvent()]);
    expect(await subject.store.headPosition()).toBe(position);
  });

  it('leaves the server events out of readAll and subscriptions', async () => {
    const head = await subject.store.headPosition();
    await subject.raw.appendToStream('$stats-127.0.0.1:2113', systemEvent());
    await subject.store.append(`${prefix}a`, newEvents(2), NO_STREAM);
    await subject.raw.appendToStream(`${prefix}linked`, jsonEvent({ type: '$>', data: {} }));

    const all = await collect(subject.store.readAll({ after: head }));
    expect(all.map((e) => e.streamName)).toEqual([`${prefix}a`, `${prefix}a`]);

    const subscription = subject.store.subscribeToAll({ after: head });
    try {
      const got = await takeUntil(subscription[Symbol.asyncIterator](), (m) =>
        m.some((x) => x.kind === 'caughtUp'),
      );
      expect(got.map((m) => (m.kind === 'event' ? m.event.streamName : m.kind))).toEqual([
        `${prefix}a`,
        `${prefix}a`,
        'caughtUp',
      ]);
    } finally {
      await subscription.close();
    }
  });

  it('reads the whole log from START, past the server events at its beginning', async () => {
    const first = await collect(subject.store.readAll({ after: START, maxCount: 1 }));
    expect(first[0]?.streamName.startsWith('$')).toBe(false);
    expect(comparePositions(first[0]!.position, START)).toBeGreaterThan(0);
  });
});

describe('EventStoreDB adapter: events it cannot send', () => {
  it('refuses data that is not JSON and ids that are not UUIDs at once, sending nothing', async () => {
    const subject = await onTestDouble();
    try {
      const [event] = newEvents(1);
      for (const data of [{ big: 1n }, undefined]) {
        await expect(subject.store.append('not-json', [{ ...event!, data }], ANY)).rejects.toThrow(TypeError);
      }
      const badId = { ...event!, metadata: { ...event!.metadata, eventId: 'not-a-uuid' } };
      await expect(subject.store.append('not-json', [badId], ANY)).rejects.toThrow(/not a UUID/);
      expect(await collect(subject.store.readStream('not-json'))).toEqual([]);
    } finally {
      await subject.teardown();
    }
  });
});

describe('EventStoreDB adapter: a server that goes away', () => {
  it('reports EventStoreUnavailable from ping, append and an open subscription', async () => {
    const double = await EventStoreDbTestDouble.start();
    const stranded = EventStoreDbEventStore.fromConnectionString(double.connectionString, {
      pingTimeoutMs: 2_000,
    });
    try {
      await stranded.append('a', newEvents(1), NO_STREAM);
      const subscription = stranded.subscribeToAll();
      const iterator = subscription[Symbol.asyncIterator]();
      await takeUntil(iterator, (m) => m.some((x) => x.kind === 'caughtUp'));
      await double.stop();

      await expect(iterator.next()).rejects.toBeInstanceOf(EventStoreUnavailable);
      await expect(stranded.ping()).rejects.toBeInstanceOf(EventStoreUnavailable);
      await expect(stranded.append('a', newEvents(1), ANY)).rejects.toBeInstanceOf(EventStoreUnavailable);
    } finally {
      await stranded.close();
    }
  });
});
