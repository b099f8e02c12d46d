import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AggregateStore, type CommandContext, executeCommand } from '../../libs/command-runtime/index.js';
import { type Decider, DomainError, type DomainEvent } from '../../libs/domain/kernel/index.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import { type OrganizationCommand } from '../../libs/domain/organization/organization.commands.js';
import { streams } from '../../libs/domain/streams.js';
import { UpcasterRegistry, upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { ANY, type EventStore, NO_STREAM } from '../../libs/event-store/index.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { EVENT_STORE_SCHEMA_SQL } from '../../libs/event-store/postgres/schema.js';
import { collect } from '../event-store/event-fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('executeCommand on the Postgres event store', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let eventStore: EventStore;
  let store: AggregateStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 8 });
    await pool.query(EVENT_STORE_SCHEMA_SQL);
    eventStore = new PostgresEventStore(pool);
    store = new AggregateStore(eventStore, upcasters);
  });
  afterAll(async () => {
    await eventStore?.close();
    await pool?.end();
    await database?.drop();
  });

  const alice = randomUUID();
  const bob = randomUUID();
  const context = (actorId: string): CommandContext => ({
    actorId,
    correlationId: randomUUID(),
    causationId: randomUUID(),
    now: new Date('2026-11-24T10:00:00.000Z'),
  });
  const run = (orgId: string, actorId: string, command: OrganizationCommand) =>
    executeCommand(store, {
      decider: organizationDecider,
      streamName: streams.organization(orgId),
      command,
      context: context(actorId),
      orgId,
    });
  const createOrg = (orgId: string) =>
    run(orgId, alice, { type: 'CreateOrganization', actorId: alice, orgId, slug: 'acme', name: 'Acme' });
  const readOrg = (orgId: string) => collect(eventStore.readStream(streams.organization(orgId)));

  it('appends the decided events with the metadata of DESIGN.md §6', async () => {
    const orgId = randomUUID();
    const ctx = context(alice);
    const outcome = await executeCommand(store, {
      decider: organizationDecider,
      streamName: streams.organization(orgId),
      command: { type: 'CreateOrganization', actorId: alice, orgId, slug: 'acme', name: 'Acme' },
      context: ctx,
      orgId,
    });
    const events = await readOrg(orgId);
    expect(events.map((e) => e.type)).toEqual(['OrganizationCreated', 'OrgMemberAdded']);
    expect(outcome.position).toBe(events[1]!.position);
    for (const event of events) {
      expect(event.metadata).toEqual({
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        orgId,
        actorId: alice,
        correlationId: ctx.correlationId,
        causationId: ctx.causationId,
        occurredAt: '2026-11-24T10:00:00.000Z',
        schemaVersion: 1,
      });
    }
    expect(outcome.state.status === 'active' && outcome.state.members.get(alice)?.role).toBe('owner');
  });

  it('appends nothing when the decider refuses', async () => {
    const orgId = randomUUID();
    await createOrg(orgId);
    const before = await readOrg(orgId);
    await expect(
      run(orgId, alice, {
        type: 'SetOrgMemberRole',
        actorId: alice,
        userId: alice,
        role: 'member',
        userIsRegistered: true,
      }),
    ).rejects.toMatchObject({ code: 'ORG.LAST_OWNER', kind: 'conflict' });
    expect(await readOrg(orgId)).toEqual(before);
  });

  it('appends nothing for a command that changes nothing, and answers with the stream position', async () => {
    const orgId = randomUUID();
    const created = await createOrg(orgId);
    const outcome = await run(orgId, alice, {
      type: 'ChangeOrgSettings',
      actorId: alice,
      chatSharingDisabled: false,
    });
    expect(outcome.events).toEqual([]);
    expect(outcome.position).toBe(created.position);
    expect(await readOrg(orgId)).toHaveLength(2);
  });

  const owners = async (orgId: string) => {
    const { state } = await new AggregateStore(eventStore, upcasters).load(
      organizationDecider,
      streams.organization(orgId),
    );
    return state.status === 'active' ? [...state.members.values()].filter((m) => m.role === 'owner') : [];
  };
  const stepDownCommand = (actorId: string) =>
    ({ type: 'SetOrgMemberRole', actorId, userId: actorId, role: 'admin', userIsRegistered: true }) as const;

  it('of two concurrent demotions of the only two owners in two processes, exactly one wins', async () => {
    const orgId = randomUUID();
    await createOrg(orgId);
    await run(orgId, alice, { ...stepDownCommand(bob), actorId: alice, role: 'owner' });
    // Each owner steps down at once: each decision alone is valid, together they would leave no owner.
    // Two stores stand for two processes (in one, commands on a stream take turns); a barrier holds
    // each first decision until both commands have loaded the stream.
    let loaded = 0;
    let bothLoaded!: () => void;
    const barrier = new Promise<void>((resolve) => (bothLoaded = resolve));
    const stepDown = (process: AggregateStore, actorId: string) =>
      executeCommand(process, {
        decider: organizationDecider,
        streamName: streams.organization(orgId),
        command: async () => {
          if (++loaded === 2) bothLoaded();
          await barrier;
          return stepDownCommand(actorId);
        },
        context: context(actorId),
        orgId,
      });
    const results = await Promise.allSettled([
      stepDown(new AggregateStore(eventStore, upcasters), alice),
      stepDown(new AggregateStore(eventStore, upcasters), bob),
    ]);
    expect(loaded).toBeGreaterThanOrEqual(3); // the loser decided again, on the winner's event
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [refused] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused!.reason).toMatchObject({ code: 'ORG.LAST_OWNER', kind: 'conflict' });
    expect(await owners(orgId)).toHaveLength(1);
  });

  it('of two concurrent demotions of the only two owners in one process, exactly one wins', async () => {
    const orgId = randomUUID();
    await createOrg(orgId);
    await run(orgId, alice, { ...stepDownCommand(bob), actorId: alice, role: 'owner' });
    const results = await Promise.allSettled([
      run(orgId, alice, stepDownCommand(alice)),
      run(orgId, bob, stepDownCommand(bob)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [refused] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused!.reason).toMatchObject({ code: 'ORG.LAST_OWNER', kind: 'conflict' });
    expect(await owners(orgId)).toHaveLength(1);
  });

  it('re-decides on a concurrent change, and gives up with a 409 after the last attempt', async () => {
    const streamName = `test-${randomUUID()}`;
    type Counted = DomainEvent<'Counted', { n: number }>;
    const counter: Decider<{ type: 'Count' }, Counted, number> = {
      initialState: 0,
      decide: (_command, n) => [{ type: 'Counted', data: { n: n + 1 } }],
      evolve: (n) => n + 1,
    };
    let attempts = 0;
    const interfere = async () => {
      attempts++;
      // Someone else appends between this command's load and its append, every time.
      await eventStore.append(
        streamName,
        store.envelope([{ type: 'Counted', data: { n: -1 } }], context(bob), undefined),
        ANY,
      );
      return { type: 'Count' } as const;
    };
    const error = await executeCommand(store, {
      decider: counter,
      streamName,
      command: interfere,
      context: context(alice),
      orgId: undefined,
      maxAttempts: 3,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'COMMAND.CONCURRENT_MODIFICATION', kind: 'conflict' });
    expect(attempts).toBe(3);
    expect((await collect(eventStore.readStream(streamName))).map((e) => e.metadata.actorId)).toEqual([
      bob,
      bob,
      bob,
    ]);
  });

  it('loads old event shapes through the upcasters', async () => {
    const streamName = `test-${randomUUID()}`;
    type Renamed = DomainEvent<'Renamed', { title: string }>;
    const registry = new UpcasterRegistry().register('Renamed', 1, (data) => ({
      title: (data as { name: string }).name,
    }));
    const v1 = new AggregateStore(eventStore, new UpcasterRegistry());
    await eventStore.append(
      streamName,
      v1.envelope([{ type: 'Renamed', data: { name: 'old shape' } }], context(alice), undefined),
      NO_STREAM,
    );
    const titles: Decider<never, Renamed, string[]> = {
      initialState: [],
      decide: () => [],
      evolve: (state, event) => [...state, event.data.title],
    };
    const loaded = await new AggregateStore(eventStore, registry).load(titles, streamName);
    expect(loaded.state).toEqual(['old shape']);
    expect(loaded.expected).toBe(0);
  });
});
