import { randomUUID } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import {
  type AllStreamResolvedEvent,
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  type Position as EsdbPosition,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import { EventStoreDbTestDouble } from '../support/esdb-test-double/index.js';
import { Empty, protoUuidOf, ReadReq, type ReadResp, uuidOf } from '../support/esdb-test-double/proto.js';

/**
 * The test double against the real client library, over a real socket: what
 * the client sends, the double must understand, and what the double answers,
 * the client must turn into the same results and errors a real server gives.
 */
describe('EventStoreDB test double', () => {
  let double: EventStoreDbTestDouble;
  let client: EventStoreDBClient;
  let prefix: string;

  beforeAll(async () => {
    double = await EventStoreDbTestDouble.start();
    client = EventStoreDBClient.connectionString(double.connectionString);
  });
  afterAll(async () => {
    await client.dispose();
    await double.stop();
  });
  beforeEach(() => {
    prefix = `double-${randomUUID().slice(0, 8)}/`;
  });

  const events = (count: number, type = 'Happened') =>
    Array.from({ length: count }, (_, i) => jsonEvent({ type, data: { i }, metadata: { n: i } }));
  const readStream = async (name: string, options?: Parameters<EventStoreDBClient['readStream']>[1]) => {
    const read = [];
    for await (const { event } of client.readStream(name, options)) read.push(event!);
    return read;
  };
  const errorOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  describe('Append', () => {
    it('appends and answers the new revision and the position of the last event', async () => {
      const first = await client.appendToStream(`${prefix}a`, events(3), { expectedRevision: NO_STREAM });
      expect(first).toMatchObject({ success: true, nextExpectedRevision: 2n });
      const read = await readStream(`${prefix}a`);
      expect(read.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      expect(read[2]!.position).toEqual(first.position);

      const second = await client.appendToStream(`${prefix}a`, events(1), { expectedRevision: 2n });
      expect(second.nextExpectedRevision).toBe(3n);
      expect(second.position!.commit).toBeGreaterThan(first.position!.commit);
    });

    it('keeps id, type, JSON data and JSON metadata, and stamps the creation time', async () => {
      const id = randomUUID();
      const before = Date.now();
      await client.appendToStream(
        `${prefix}a`,
        jsonEvent({ id, type: 'ChatShared', data: { role: 'viewer', n: [1, 2] }, metadata: { eventId: id } }),
      );
      const [event] = await readStream(`${prefix}a`);
      expect(event).toMatchObject({
        id,
        streamId: `${prefix}a`,
        type: 'ChatShared',
        isJson: true,
        data: { role: 'viewer', n: [1, 2] },
        metadata: { eventId: id },
      });
      expect(event!.created.getTime()).toBeGreaterThanOrEqual(before);
      expect(event!.created.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it.each([
      ['no_stream on an existing stream', NO_STREAM, 1n],
      ['a stale exact revision', 0n, 1n],
      ['a future exact revision', 5n, 1n],
    ] as const)('refuses %s with the current revision', async (_, expectedRevision, actualVersion) => {
      await client.appendToStream(`${prefix}a`, events(2), { expectedRevision: NO_STREAM });
      const error = await errorOf(client.appendToStream(`${prefix}a`, events(1), { expectedRevision }));
      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(error).toMatchObject({
        streamName: `${prefix}a`,
        expectedVersion: expectedRevision,
        actualVersion,
      });
      expect(await readStream(`${prefix}a`)).toHaveLength(2);
    });

    it('refuses stream_exists and exact revisions on a missing stream, reporting no stream', async () => {
      for (const expectedRevision of [STREAM_EXISTS, 0n] as const) {
        const error = await errorOf(client.appendToStream(`${prefix}a`, events(1), { expectedRevision }));
        expect(error).toMatchObject({ expectedVersion: expectedRevision, actualVersion: 'no_stream' });
      }
      await client.appendToStream(`${prefix}a`, events(1), { expectedRevision: ANY });
      const ok = await client.appendToStream(`${prefix}a`, events(1), { expectedRevision: STREAM_EXISTS });
      expect(ok.nextExpectedRevision).toBe(1n);
    });

    it('appends all events of a request or none', async () => {
      const batch = [...events(2), jsonEvent({ id: 'not-a-uuid', type: 'Broken', data: {} }), ...events(1)];
      await expect(client.appendToStream(`${prefix}a`, batch)).rejects.toThrow(/not a UUID/);
      await expect(readStream(`${prefix}a`)).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('lets exactly one of concurrent writers at the same revision win', async () => {
      await client.appendToStream(`${prefix}a`, events(1), { expectedRevision: NO_STREAM });
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          client.appendToStream(`${prefix}a`, events(3), { expectedRevision: 0n }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await readStream(`${prefix}a`)).toHaveLength(4);
    });
  });

  describe('Read of one stream', () => {
    it('reads forwards and backwards from a revision, up to a count', async () => {
      await client.appendToStream(`${prefix}a`, events(5));
      const revisions = async (options: Parameters<EventStoreDBClient['readStream']>[1]) =>
        (await readStream(`${prefix}a`, options)).map((e) => Number(e.revision));
      expect(await revisions({ fromRevision: 2n, maxCount: 2 })).toEqual([2, 3]);
      expect(await revisions({ direction: BACKWARDS, fromRevision: END })).toEqual([4, 3, 2, 1, 0]);
      expect(await revisions({ direction: BACKWARDS, fromRevision: 3n, maxCount: 2 })).toEqual([3, 2]);
      expect(await revisions({ direction: BACKWARDS, fromRevision: 99n, maxCount: 1 })).toEqual([4]);
      expect(await revisions({ fromRevision: 7n })).toEqual([]);
    });

    it('answers stream-not-found for a missing stream, which the client raises', async () => {
      const error = await errorOf(readStream(`${prefix}missing`));
      expect(error).toBeInstanceOf(StreamNotFoundError);
      expect(error).toMatchObject({ streamName: `${prefix}missing` });
    });
  });

  describe('Read of $all', () => {
    const readAll = async (options: Parameters<EventStoreDBClient['readAll']>[0]) => {
      const read = [];
      for await (const { event } of client.readAll(options)) read.push(event!);
      return read;
    };

    it('reads forwards from a position, including the event at it, and backwards from the end', async () => {
      await client.appendToStream(`${prefix}a`, events(2));
      await client.appendToStream(`${prefix}b`, events(1));
      const [first] = await readStream(`${prefix}a`);
      const forwards = await readAll({ fromPosition: first!.position!, direction: FORWARDS });
      expect(forwards.map((e) => `${e.streamId}@${e.revision}`)).toEqual([
        `${prefix}a@0`,
        `${prefix}a@1`,
        `${prefix}b@0`,
      ]);
      const [last] = await readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 });
      expect(last!.streamId).toBe(`${prefix}b`);
    });

    it('holds the system events a fresh server has', async () => {
      const fromStart = await readAll({ fromPosition: START, maxCount: 2 });
      expect(fromStart.map((e) => e.streamId)).toEqual(['$settings', '$stats-127.0.0.1:2113']);
    });
  });

  describe('Read subscription to $all', () => {
    it('sends confirmation, the stored events after the position, caught_up, then live events', async () => {
      await client.appendToStream(`${prefix}a`, events(3));
      const [, second] = await readStream(`${prefix}a`);
      const wire = rawSubscription(double.port, prefix, second!.position!);
      try {
        expect(await wire.take(3)).toEqual(['confirmation', `event ${prefix}a@2`, 'caughtUp']);
        await client.appendToStream(`${prefix}b`, events(1));
        await client.appendToStream(`elsewhere-${randomUUID()}`, events(1));
        await client.appendToStream(`${prefix}a`, events(1));
        expect(await wire.take(2)).toEqual([`event ${prefix}b@0`, `event ${prefix}a@3`]);
      } finally {
        wire.cancel();
      }
    });

    it('drives the client subscription: prefix filter, caughtUp, live delivery, unsubscribe', async () => {
      await client.appendToStream(`${prefix}a`, events(2));
      const subscription = client.subscribeToAll({ filter: streamNameFilter({ prefixes: [prefix] }) });
      const seen: string[] = [];
      const caughtUp = new Promise<void>((resolve) => subscription.once('caughtUp', resolve));
      subscription.on('data', ({ event }: AllStreamResolvedEvent) =>
        seen.push(`${event!.streamId}@${event!.revision}`),
      );
      await caughtUp;
      await client.appendToStream(`${prefix}b`, events(1));
      await waitFor(() => seen.length === 3);
      expect(seen).toEqual([`${prefix}a@0`, `${prefix}a@1`, `${prefix}b@0`]);
      await subscription.unsubscribe();
    });

    it('filters out system events by event type and reports checkpoints to a filtered subscriber', async () => {
      await client.appendToStream(`${prefix}a`, events(40));
      const checkpoints: EsdbPosition[] = [];
      const subscription = client.subscribeToAll({
        filter: excludeSystemEvents({ checkpointReached: (_, position) => void checkpoints.push(position) }),
      });
      const types = new Set<string>();
      const caughtUp = new Promise<void>((resolve) => subscription.once('caughtUp', resolve));
      subscription.on('data', ({ event }: AllStreamResolvedEvent) => types.add(event!.type));
      await caughtUp;
      await subscription.unsubscribe();
      expect([...types].some((type) => type.startsWith('$'))).toBe(false);
      expect(checkpoints.length).toBeGreaterThan(0);
    });
  });

  it('reads event ids sent in either UUID form', () => {
    const id = randomUUID();
    expect(uuidOf(protoUuidOf(id, true))).toBe(id);
    expect(uuidOf(protoUuidOf(id.toUpperCase(), false))).toBe(id);
    expect(uuidOf(protoUuidOf('not-a-uuid', false))).toBeUndefined();
  });
});

/** A subscription read straight off the wire, to check the order of messages the client would see. */
function rawSubscription(port: number, prefix: string, after: EsdbPosition) {
  const raw = new streamsGrpc.StreamsClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const all = new ReadReq.Options.AllOptions().setPosition(
    new ReadReq.Options.Position()
      .setCommitPosition(String(after.commit))
      .setPreparePosition(String(after.prepare)),
  );
  const filter = new ReadReq.Options.FilterOptions()
    .setStreamIdentifier(new ReadReq.Options.FilterOptions.Expression().setPrefixList([prefix]))
    .setCount(new Empty())
    .setCheckpointintervalmultiplier(1000);
  const options = new ReadReq.Options()
    .setAll(all)
    .setSubscription(new ReadReq.Options.SubscriptionOptions())
    .setFilter(filter)
    .setUuidOption(new ReadReq.Options.UUIDOption().setString(new Empty()));
  const call = raw.read(new ReadReq().setOptions(options));
  const received: string[] = [];
  call.on('data', (response: ReadResp) => received.push(describeResponse(response)));
  call.on('error', () => undefined);
  return {
    async take(count: number): Promise<string[]> {
      await waitFor(() => received.length >= count);
      return received.splice(0, count);
    },
    cancel() {
      call.cancel();
      raw.close();
    },
  };
}

function describeResponse(response: ReadResp): string {
  if (response.hasConfirmation()) return 'confirmation';
  if (response.hasCaughtUp()) return 'caughtUp';
  if (response.hasCheckpoint()) return 'checkpoint';
  const event = response.getEvent()?.getEvent();
  if (event === undefined) return 'other';
  const stream = Buffer.from(event.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
  return `event ${stream}@${event.getStreamRevision()}`;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
