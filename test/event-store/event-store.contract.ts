import { randomUUID } from 'node:crypto';
import {
  ANY,
  comparePositions,
  type EventStore,
  isPosition,
  NO_STREAM,
  type Position,
  type RecordedEvent,
  START,
  STREAM_EXISTS,
  WrongExpectedVersion,
} from '../../libs/event-store/index.js';
import { collect, eventsOf, newEvent, newEvents, takeUntil } from './event-fixtures.js';

export interface ContractSubject {
  readonly store: EventStore;
  teardown(): Promise<void>;
}

/**
 * The behaviour every EventStore adapter owes the rest of Tenantry
 * (libs/event-store/event-store.port.ts). One suite, run against each adapter:
 * a difference between adapters is a failing test here, not a surprise in
 * production. Tests share one store and keep out of each other's way with
 * stream names unique to the test.
 */
export function describeEventStoreContract(adapterName: string, open: () => Promise<ContractSubject>): void {
  describe(`EventStore contract: ${adapterName}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    let prefix: string;

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.teardown();
    });
    beforeEach(() => {
      prefix = `contract-${randomUUID().slice(0, 8)}/`;
    });

    const stream = (name = 'a') => `${prefix}${name}`;
    /**
     * An appended event becomes readable in log order once every transaction
     * that started writing before it has finished (see the port), which on a
     * shared Postgres may take a moment: wait for `count` events, bounded.
     */
    const readAllSettled = async (options: Parameters<EventStore['readAll']>[0], count: number) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const events = await collect(store.readAll(options));
        if (events.length >= count || Date.now() > deadline) return events;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const headSettled = async (atLeast: Position) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const head = await store.headPosition();
        if (comparePositions(head, atLeast) >= 0 || Date.now() > deadline) return head;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const readStream = (name: string, options?: Parameters<EventStore['readStream']>[1]) =>
      collect(store.readStream(name, options));

    describe('append', () => {
      it('creates a stream with no_stream and returns its revision and a position', async () => {
        const result = await store.append(stream(), newEvents(3), NO_STREAM);
        expect(result.nextExpectedRevision).toBe(2);
        expect(isPosition(result.position)).toBe(true);
        expect(comparePositions(result.position, START)).toBeGreaterThan(0);
        expect((await readStream(stream())).map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('refuses no_stream when the stream exists, appending nothing', async () => {
        await store.append(stream(), newEvents(2), NO_STREAM);
        const error = await store.append(stream(), newEvents(1), NO_STREAM).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(error).toMatchObject({ streamName: stream(), expected: NO_STREAM, actual: 1 });
        expect(await readStream(stream())).toHaveLength(2);
      });

      it('appends at the exact expected revision and refuses any other, appending nothing', async () => {
        await store.append(stream(), newEvents(2), NO_STREAM);
        const ok = await store.append(stream(), newEvents(2), 1);
        expect(ok.nextExpectedRevision).toBe(3);
        for (const wrong of [0, 1, 2, 4]) {
          const error = await store.append(stream(), newEvents(2), wrong).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(WrongExpectedVersion);
          expect(error).toMatchObject({ expected: wrong, actual: 3 });
        }
        expect(await readStream(stream())).toHaveLength(4);
      });

      it('refuses an exact revision on a missing stream', async () => {
        const error = await store.append(stream(), newEvents(1), 0).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(await readStream(stream())).toEqual([]);
      });

      it('refuses stream_exists on a missing stream and accepts it on an existing one', async () => {
        const error = await store.append(stream(), newEvents(1), STREAM_EXISTS).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedVersion);
        expect(error).toMatchObject({ actual: -1 });
        await store.append(stream(), newEvents(1), NO_STREAM);
        expect((await store.append(stream(), newEvents(1), STREAM_EXISTS)).nextExpectedRevision).toBe(1);
      });

      it('appends with any whether or not the stream exists', async () => {
        expect((await store.append(stream(), newEvents(1), ANY)).nextExpectedRevision).toBe(0);
        expect((await store.append(stream(), newEvents(2), ANY)).nextExpectedRevision).toBe(2);
      });

      it('refuses an empty append', async () => {
        await expect(store.append(stream(), [], ANY)).rejects.toThrow(RangeError);
      });

      it('leaves nothing behind when a batch fails half-way', async () => {
        const { position: head } = await store.append(stream(), newEvents(1), NO_STREAM);
        const broken = newEvents(4);
        // The third event's id is not a UUID: the store fails after taking two events.
        broken[2] = { ...broken[2]!, metadata: { ...broken[2]!.metadata, eventId: 'not-a-uuid' } };
        await expect(store.append(stream(), broken, 0)).rejects.toThrow();
        expect(await readStream(stream())).toHaveLength(1);
        expect(await collect(store.readAll({ after: head, streamPrefix: prefix }))).toEqual([]);
        const repaired = await store.append(stream(), newEvents(1), 0);
        expect(repaired.nextExpectedRevision).toBe(1);
        // The failed batch took no position: the next event is the only one after the first.
        expect(
          (await readAllSettled({ after: head, streamPrefix: prefix }, 1)).map((e) => e.position),
        ).toEqual([repaired.position]);
      });

      it('lets exactly one of many concurrent writers at the same revision win', async () => {
        await store.append(stream(), newEvents(1), NO_STREAM);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.append(stream(), newEvents(2), 0)),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost.every((r) => r.reason instanceof WrongExpectedVersion)).toBe(true);
        expect(await readStream(stream())).toHaveLength(3);
      });

      it('lets exactly one of many concurrent creators of a stream win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () => store.append(stream('reservation'), newEvents(1), NO_STREAM)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await readStream(stream('reservation'))).toHaveLength(1);
      });

      it('orders positions of successive appends', async () => {
        const first = await store.append(stream('x'), newEvents(1), ANY);
        const second = await store.append(stream('y'), newEvents(1), ANY);
        expect(comparePositions(first.position, second.position)).toBeLessThan(0);
        expect(comparePositions(await headSettled(second.position), second.position)).toBe(0);
      });
    });

    describe('readStream', () => {
      it('keeps type, data and every metadata field', async () => {
        const event = newEvent(
          'ChatShared',
          { subject: { kind: 'user', id: randomUUID() }, role: 'viewer' },
          randomUUID(),
        );
        const { position } = await store.append(stream(), [event], NO_STREAM);
        const [read] = await readStream(stream());
        expect(read).toMatchObject({ streamName: stream(), revision: 0, position, type: 'ChatShared' });
        expect(read!.data).toEqual(event.data);
        expect(read!.metadata).toEqual(event.metadata);
        expect(read!.recordedAt).toBeInstanceOf(Date);
      });

      it('reads forwards and backwards from a revision, up to a count', async () => {
        await store.append(stream(), newEvents(5), NO_STREAM);
        const revisions = (events: RecordedEvent[]) => events.map((e) => e.revision);
        expect(revisions(await readStream(stream()))).toEqual([0, 1, 2, 3, 4]);
        expect(revisions(await readStream(stream(), { fromRevision: 2, maxCount: 2 }))).toEqual([2, 3]);
        expect(revisions(await readStream(stream(), { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
        expect(
          revisions(await readStream(stream(), { direction: 'backwards', fromRevision: 3, maxCount: 2 })),
        ).toEqual([3, 2]);
        expect(revisions(await readStream(stream(), { direction: 'backwards', maxCount: 1 }))).toEqual([4]);
      });

      it('catches up from a revision: up to the head, nothing past it, nothing on a missing stream', async () => {
        // What the command side's state cache does on every load (libs/command-runtime/aggregate-store.ts).
        await store.append(stream(), newEvents(5), NO_STREAM);
        const all = await readStream(stream());
        expect(await readStream(stream(), { fromRevision: 3 })).toEqual(all.slice(3));
        expect(await readStream(stream(), { fromRevision: 5 })).toEqual([]);
        expect(await readStream(stream(), { fromRevision: 9 })).toEqual([]);
        expect(await readStream(stream('missing'), { fromRevision: 0 })).toEqual([]);
        expect(await readStream(stream('missing'), { fromRevision: 4 })).toEqual([]);
        await store.append(stream(), newEvents(2), 4);
        expect((await readStream(stream(), { fromRevision: 5 })).map((e) => e.revision)).toEqual([5, 6]);
      });

      it('reads a missing stream as empty', async () => {
        expect(await readStream(stream('missing'))).toEqual([]);
      });

      it('pages through a stream longer than one read batch', async () => {
        for (let i = 0; i < 6; i++) await store.append(stream(), newEvents(200), ANY);
        const events = await readStream(stream());
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
      });
    });

    describe('readAll', () => {
      it('reads the events after a position, in log order, only for the prefix', async () => {
        const head = await store.headPosition();
        const other = `other-${randomUUID().slice(0, 8)}/a`;
        await store.append(stream('one'), newEvents(2), NO_STREAM);
        await store.append(other, newEvents(1), NO_STREAM);
        await store.append(stream('two'), newEvents(1), NO_STREAM);
        await store.append(stream('one'), newEvents(1), 1);

        const mine = await readAllSettled({ after: head, streamPrefix: prefix }, 4);
        expect(mine.map((e) => `${e.streamName}@${e.revision}`)).toEqual([
          `${stream('one')}@0`,
          `${stream('one')}@1`,
          `${stream('two')}@0`,
          `${stream('one')}@2`,
        ]);
        const positions = mine.map((e) => e.position);
        expect([...positions].sort(comparePositions)).toEqual(positions);

        const all = await readAllSettled({ after: head }, 5);
        expect(all.map((e) => e.streamName)).toContain(other);
      });

      it('treats `after` as exclusive and honours maxCount', async () => {
        const head = await store.headPosition();
        await store.append(stream(), newEvents(5), NO_STREAM);
        const [first, ...rest] = await readAllSettled({ after: head, streamPrefix: prefix }, 5);
        const afterFirst = await collect(store.readAll({ after: first!.position, streamPrefix: prefix }));
        expect(afterFirst.map((e) => e.revision)).toEqual(rest.map((e) => e.revision));
        const two = await collect(store.readAll({ after: head, streamPrefix: prefix, maxCount: 2 }));
        expect(two.map((e) => e.revision)).toEqual([0, 1]);
      });

      it('countEvents, where the store offers it, counts what readAll hands out up to a position', async () => {
        if (!store.countEvents) return; // optional: rebuilds read and count without it
        const start = await store.headPosition();
        await store.append(stream('one'), newEvents(3), NO_STREAM);
        await store.append(`other-${randomUUID().slice(0, 8)}/a`, newEvents(2), NO_STREAM);
        const { position: upTo } = await store.append(`${prefix}x_y`, newEvents(1), NO_STREAM);
        await store.append(stream('two'), newEvents(4), NO_STREAM); // after upTo: not counted
        await readAllSettled({ after: start, streamPrefix: prefix }, 8);
        const upToHead = (await collect(store.readAll())).filter(
          (e) => comparePositions(e.position, upTo) <= 0,
        );
        expect(await store.countEvents({ upTo })).toBe(upToHead.length);
        expect(await store.countEvents({ upTo, streamPrefix: prefix })).toBe(4);
        expect(await store.countEvents({ upTo, streamPrefix: `${prefix}x_` })).toBe(1);
      });

      it('leaves out the streams that end with excludeStreamSuffix, a literal', async () => {
        const head = await store.headPosition();
        await store.append(stream('chat-1'), newEvents(2), NO_STREAM);
        await store.append(stream('chat-1/messages'), newEvents(3), NO_STREAM);
        await store.append(stream('chat-1/messages_'), newEvents(1), NO_STREAM);
        await store.append(stream('chat-2/xmessages'), newEvents(1), NO_STREAM);
        await store.append(stream('chat-1'), newEvents(1), 1);
        await readAllSettled({ after: head, streamPrefix: prefix }, 8);
        const options = { after: head, streamPrefix: prefix, excludeStreamSuffix: '/messages' };
        expect((await collect(store.readAll(options))).map((e) => `${e.streamName}@${e.revision}`)).toEqual([
          `${stream('chat-1')}@0`,
          `${stream('chat-1')}@1`,
          `${stream('chat-1/messages_')}@0`,
          `${stream('chat-2/xmessages')}@0`,
          `${stream('chat-1')}@2`,
        ]);
        // `_` and `%` are no wildcards here either; maxCount counts what is handed out.
        const twoOf = { ...options, excludeStreamSuffix: '/messages_', maxCount: 2 };
        expect((await collect(store.readAll(twoOf))).map((e) => e.streamName)).toEqual([
          stream('chat-1'),
          stream('chat-1'),
        ]);
        expect((await collect(store.readAll({ ...options, excludeStreamSuffix: '%messages' }))).length).toBe(
          8,
        );
      });

      it('does not match a prefix as a pattern', async () => {
        const head = await store.headPosition();
        await store.append(`${prefix}x_y`, newEvents(1), NO_STREAM);
        await store.append(`${prefix}xzy`, newEvents(1), NO_STREAM);
        await readAllSettled({ after: head, streamPrefix: prefix }, 2);
        const matched = await collect(store.readAll({ after: head, streamPrefix: `${prefix}x_` }));
        expect(matched.map((e) => e.streamName)).toEqual([`${prefix}x_y`]);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, says so once, then delivers live events in order', async () => {
        const head = await store.headPosition();
        await store.append(stream('one'), newEvents(3), NO_STREAM);
        const subscription = store.subscribeToAll({ after: head, streamPrefix: prefix });
        const iterator = subscription[Symbol.asyncIterator]();
        try {
          const catchUp = await takeUntil(iterator, (got) => got.some((m) => m.kind === 'caughtUp'));
          expect(catchUp.map((m) => m.kind)).toEqual(['event', 'event', 'event', 'caughtUp']);

          await store.append(stream('two'), newEvents(2), NO_STREAM);
          await store.append(stream('one'), newEvents(1), 2);
          const live = await takeUntil(iterator, (got) => got.length === 3);
          expect(live.map((m) => m.kind)).toEqual(['event', 'event', 'event']);
          expect(eventsOf(live).map((e) => `${e.streamName}@${e.revision}`)).toEqual([
            `${stream('two')}@0`,
            `${stream('two')}@1`,
            `${stream('one')}@3`,
          ]);
        } finally {
          await subscription.close();
        }
      });

      it('starts strictly after a checkpoint and filters by prefix', async () => {
        await store.append(stream(), newEvents(3), NO_STREAM);
        const [, second] = await readStream(stream());
        await store.append(`elsewhere-${randomUUID()}`, newEvents(1), NO_STREAM);
        const subscription = store.subscribeToAll({ after: second!.position, streamPrefix: prefix });
        const iterator = subscription[Symbol.asyncIterator]();
        try {
          const got = await takeUntil(iterator, (m) => m.some((x) => x.kind === 'caughtUp'));
          expect(eventsOf(got).map((e) => e.revision)).toEqual([2]);
        } finally {
          await subscription.close();
        }
      });

      it('ends the iteration when closed', async () => {
        const subscription = store.subscribeToAll({
          after: await store.headPosition(),
          streamPrefix: prefix,
        });
        const iterator = subscription[Symbol.asyncIterator]();
        await takeUntil(iterator, (m) => m.some((x) => x.kind === 'caughtUp'));
        const pending = iterator.next();
        await subscription.close();
        await store.append(stream(), newEvents(1), ANY);
        let timer: NodeJS.Timeout | undefined;
        const next = await Promise.race([
          pending,
          new Promise<'still waiting'>((r) => {
            timer = setTimeout(() => r('still waiting'), 5_000);
          }),
        ]).finally(() => clearTimeout(timer));
        expect(next).not.toBe('still waiting');
        if (next !== 'still waiting' && !next.done) {
          // A message already in flight may still arrive; nothing after it.
          expect((await iterator.next()).done).toBe(true);
        }
      });
    });

    describe('headPosition and ping', () => {
      it('reports the position of the newest event', async () => {
        const { position } = await store.append(stream(), newEvents(2), NO_STREAM);
        expect(comparePositions(await headSettled(position), position)).toBeGreaterThanOrEqual(0);
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}
