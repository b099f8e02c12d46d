import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AggregateStore, type CommandContext, executeCommand } from '../../libs/command-runtime/index.js';
import { type OrganizationEvent } from '../../libs/domain/organization/organization.events.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import { type OrganizationState } from '../../libs/domain/organization/organization.state.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import {
  ANY,
  type EventStore,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../../libs/event-store/index.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { EVENT_STORE_SCHEMA_SQL } from '../../libs/event-store/postgres/schema.js';
import { EventStoreDbEventStore } from '../../libs/event-store/eventstoredb/eventstoredb-event-store.js';
import { CountingEventStore } from '../support/counting-event-store.js';
import { EventStoreDbTestDouble } from '../support/esdb-test-double/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

interface OpenedStore {
  readonly eventStore: EventStore;
  close(): Promise<void>;
}

async function postgresStore(): Promise<OpenedStore> {
  const database: TestDatabase = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 8 });
  await pool.query(EVENT_STORE_SCHEMA_SQL);
  const eventStore = new PostgresEventStore(pool);
  return {
    eventStore,
    async close() {
      await eventStore.close();
      await pool.end();
      await database.drop();
    },
  };
}

/** The EventStoreDB adapter, through the real client over a socket, on the in-process test double. */
async function eventStoreDbStore(): Promise<OpenedStore> {
  const double = await EventStoreDbTestDouble.start();
  const eventStore = EventStoreDbEventStore.fromConnectionString(double.connectionString);
  return {
    eventStore,
    async close() {
      await eventStore.close();
      await double.stop();
    },
  };
}

/**
 * The aggregate-state cache of libs/command-runtime (README.md, "The command
 * side"): loads catch up from the cached revision, so a command reads what
 * was appended since, not the stream; every load still ends at the head;
 * states handed out are never changed afterwards; commands on one stream in
 * one process never conflict, and across processes retry on what is new.
 * On both event stores: the EventStoreDB adapter must behave the same.
 */
describe.each([
  ['the Postgres event store', postgresStore],
  ['the EventStoreDB adapter', eventStoreDbStore],
])('AggregateStore state cache, on %s', (_name, open) => {
  let opened: OpenedStore;
  let eventStore: EventStore;

  beforeAll(async () => {
    opened = await open();
    eventStore = opened.eventStore;
  });
  afterAll(async () => {
    await opened?.close();
  });

  const owner = randomUUID();
  const context = (actorId = owner): CommandContext => ({
    actorId,
    correlationId: randomUUID(),
    causationId: randomUUID(),
    now: new Date('2026-11-24T10:00:00.000Z'),
  });
  /** A process of its own: its own cache and stream queues, reads counted. */
  const process = (options?: ConstructorParameters<typeof AggregateStore>[3]) => {
    const counting = new CountingEventStore(eventStore);
    return { counting, store: new AggregateStore(counting, upcasters, undefined, options) };
  };
  const writer = new AggregateStore(
    { append: (...args) => eventStore.append(...args) } as EventStore,
    upcasters,
  );

  /** An org with `members` members besides its owner, appended in batches: revision = number of members + 1. */
  async function orgWithMembers(members: number): Promise<string> {
    const orgId = randomUUID();
    const events: OrganizationEvent[] = [
      {
        type: 'OrganizationCreated',
        data: { orgId, slug: `o-${orgId.slice(0, 8)}`, name: 'Big', createdBy: owner },
      },
      { type: 'OrgMemberAdded', data: { orgId, userId: owner, role: 'owner' } },
      ...Array.from({ length: members }, (): OrganizationEvent => memberAdded(orgId)),
    ];
    for (let i = 0; i < events.length; i += 500) {
      await eventStore.append(
        streams.organization(orgId),
        writer.envelope(events.slice(i, i + 500), context(), orgId),
        ANY,
      );
    }
    return orgId;
  }
  const memberAdded = (orgId: string, userId = randomUUID()): OrganizationEvent => ({
    type: 'OrgMemberAdded',
    data: { orgId, userId, role: 'member' },
  });
  const appendMembers = (orgId: string, count: number) =>
    eventStore.append(
      streams.organization(orgId),
      writer.envelope(
        Array.from({ length: count }, () => memberAdded(orgId)),
        context(),
        orgId,
      ),
      ANY,
    );
  const load = (store: AggregateStore, orgId: string) =>
    store.load(organizationDecider, streams.organization(orgId));
  const membersOf = (state: OrganizationState) => (state.status === 'active' ? state.members.size : 0);
  const addMember = (store: AggregateStore, orgId: string, onAttempt = () => {}) =>
    executeCommand(store, {
      decider: organizationDecider,
      streamName: streams.organization(orgId),
      command: () => {
        onAttempt();
        return {
          type: 'SetOrgMemberRole',
          actorId: owner,
          userId: randomUUID(),
          role: 'member',
          userIsRegistered: true,
        } as const;
      },
      context: context(),
      orgId,
    });

  it('reads the whole stream once, then only what was appended since, and always ends at the head', async () => {
    const orgId = await orgWithMembers(300);
    const { counting, store } = process();
    const cold = await load(store, orgId);
    expect({ read: counting.reset().events, expected: cold.expected }).toEqual({ read: 302, expected: 301 });

    expect((await load(store, orgId)).expected).toBe(301);
    expect(counting.reset().events).toBe(0);

    await appendMembers(orgId, 3); // by another process
    const warm = await load(store, orgId);
    expect(counting.reset().events).toBe(3);
    expect({ expected: warm.expected, members: membersOf(warm.state) }).toEqual({
      expected: 304,
      members: 304,
    });
  });

  it('hands out states that later loads never change, equal to a replay from scratch', async () => {
    const orgId = await orgWithMembers(50);
    const { store } = process();
    const first = await load(store, orgId);
    const snapshot = JSON.stringify(first.state);
    await appendMembers(orgId, 5);
    const second = await load(store, orgId);
    await addMember(store, orgId);
    expect(JSON.stringify(first.state)).toBe(snapshot);
    expect(membersOf(first.state)).toBe(51);
    expect(membersOf(second.state)).toBe(56);
    const replayed = await load(
      new AggregateStore(eventStore, upcasters, undefined, { cacheEvents: 0 }),
      orgId,
    );
    expect((await load(store, orgId)).state).toEqual(replayed.state);
  });

  it('gives concurrent loads, racing appends, states that match the revisions they report', async () => {
    const orgId = await orgWithMembers(10);
    const { store } = process();
    const loads = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        if (i % 2) await appendMembers(orgId, 1);
        return load(store, orgId);
      }),
    );
    // Revision r holds the creation, then r members (the owner first).
    for (const loaded of loads) expect(membersOf(loaded.state)).toBe(loaded.expected);
    expect(Math.max(...loads.map((l) => l.expected as number))).toBe(31);
  });

  it('joins concurrent cold loads of one stream into one replay', async () => {
    const orgId = await orgWithMembers(1_000);
    const { counting, store } = process();
    const loads = await Promise.all(Array.from({ length: 8 }, () => load(store, orgId)));
    expect(loads.map((l) => l.expected)).toEqual(Array(8).fill(1_001));
    expect(counting.reset().events).toBe(1_002);
  });

  it('runs 32 concurrent commands on one stream in one process without a single conflict', async () => {
    const orgId = await orgWithMembers(100);
    const { store } = process();
    let attempts = 0;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 32 }, () => addMember(store, orgId, () => attempts++)),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(attempts).toBe(32);
    expect(membersOf((await load(store, orgId)).state)).toBe(101 + 32);
  });

  it('lets two processes add members at once: every command lands, and retries read only what is new', async () => {
    const orgId = await orgWithMembers(500);
    const [a, b] = [process(), process()];
    await Promise.all([load(a.store, orgId), load(b.store, orgId)]);
    a.counting.reset();
    b.counting.reset();
    let attempts = 0;
    // Each command can lose at most once per command of the other process (6), under its 8 attempts.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => addMember(i % 2 ? a.store : b.store, orgId, () => attempts++)),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(membersOf((await load(a.store, orgId)).state)).toBe(501 + 12);
    // Every event appended since the warm-up is read at most once by each process, however many retries.
    expect(a.counting.reset().events).toBeLessThanOrEqual(12);
    expect(b.counting.reset().events).toBeLessThanOrEqual(12);
    expect(attempts).toBeGreaterThanOrEqual(12);
  });

  it('retries a conflicting command on the events appended since, not on the whole stream', async () => {
    const orgId = await orgWithMembers(500);
    const { counting, store } = process();
    await load(store, orgId);
    counting.reset();
    let attempts = 0;
    // Another process appends between this command's load and its append, twice.
    await executeCommand(store, {
      decider: organizationDecider,
      streamName: streams.organization(orgId),
      command: async () => {
        if (++attempts <= 2) await appendMembers(orgId, 1);
        return {
          type: 'SetOrgMemberRole',
          actorId: owner,
          userId: randomUUID(),
          role: 'member',
          userIsRegistered: true,
        } as const;
      },
      context: context(),
      orgId,
    });
    expect({ attempts, read: counting.reset().events }).toEqual({ attempts: 3, read: 2 });
  });

  it('does not keep a stream heavier than the cache: the next load replays it', async () => {
    const orgId = await orgWithMembers(200);
    const { counting, store } = process({ cacheEvents: 100 });
    await load(store, orgId);
    await load(store, orgId);
    expect(counting.reset().events).toBe(2 * 202);
  });

  describe('the event loop', () => {
    /** Hands out a stream's events only once all are read, with no I/O between them, as a fast adapter may. */
    class BurstingEventStore extends CountingEventStore {
      ticks = 0;
      ticksDuringFold = -1;
      override async *readStream(
        streamName: string,
        options?: ReadStreamOptions,
      ): AsyncIterable<RecordedEvent> {
        const events: RecordedEvent[] = [];
        for await (const event of super.readStream(streamName, options)) events.push(event);
        const before = this.ticks;
        yield* events;
        this.ticksDuringFold = this.ticks - before;
      }
    }
    async function ticksWhileFolding(yieldEvery: number): Promise<number> {
      const orgId = await orgWithMembers(5_000);
      const bursting = new BurstingEventStore(eventStore);
      let timer: NodeJS.Immediate | undefined;
      const tick = () => {
        bursting.ticks++;
        timer = setImmediate(tick);
      };
      tick();
      try {
        await new AggregateStore(bursting, upcasters, undefined, { yieldEvery }).load(
          organizationDecider,
          streams.organization(orgId),
        );
      } finally {
        clearImmediate(timer);
      }
      return bursting.ticksDuringFold;
    }

    it('is given back every thousand events while a long stream is folded', async () => {
      expect(await ticksWhileFolding(1_000)).toBeGreaterThanOrEqual(5);
      // The same fold without yielding holds the loop throughout: what the test above would catch.
      expect(await ticksWhileFolding(Number.MAX_SAFE_INTEGER)).toBe(0);
    });
  });
});
