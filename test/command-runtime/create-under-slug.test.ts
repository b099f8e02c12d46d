import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AggregateStore, type CommandContext, createUnderSlug } from '../../libs/command-runtime/index.js';
import { DomainError } from '../../libs/domain/kernel/index.js';
import {
  RESERVATION_LEASE_MS,
  reservationDecider,
} from '../../libs/domain/reservation/reservation.decider.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { EVENT_STORE_SCHEMA_SQL } from '../../libs/event-store/postgres/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * DESIGN.md §6 and the command-side issue: uniqueness lives in the log, and a
 * failed creation leaves no reservation that blocks the slug forever.
 */
describe('createUnderSlug', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let eventStore: PostgresEventStore;
  let aggregates: AggregateStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url });
    await pool.query(EVENT_STORE_SCHEMA_SQL);
    eventStore = new PostgresEventStore(pool);
    aggregates = new AggregateStore(eventStore, upcasters);
  });
  afterAll(async () => {
    await eventStore?.close();
    await pool?.end();
    await database?.drop();
  });

  const context = (now = new Date()): CommandContext => ({
    actorId: randomUUID(),
    correlationId: randomUUID(),
    causationId: randomUUID(),
    now,
  });
  const claim = (streamName: string, ownerId: string, holderExists: boolean, now?: Date) => ({
    streamName,
    slug: 'acme',
    ownerId,
    holderExists: async () => holderExists,
    context: context(now),
    orgId: undefined,
  });
  const holderOf = async (streamName: string) =>
    (await aggregates.load(reservationDecider, streamName)).state;

  it('releases the claim when the creation fails, so the next claimant gets the slug at once', async () => {
    const stream = `reservation-${randomUUID()}`;
    await expect(
      createUnderSlug(aggregates, claim(stream, 'first', false), 'ORG.SLUG_TAKEN', async () => {
        throw new Error('creation failed');
      }),
    ).rejects.toThrow('creation failed');
    expect(await holderOf(stream)).toEqual({ status: 'free' });
    await expect(
      createUnderSlug(aggregates, claim(stream, 'second', false), 'ORG.SLUG_TAKEN', async () => 'created'),
    ).resolves.toBe('created');
    expect(await holderOf(stream)).toMatchObject({ status: 'reserved', ownerId: 'second' });
  });

  it('refuses a slug whose holder exists with the given conflict code, creating nothing', async () => {
    const stream = `reservation-${randomUUID()}`;
    await createUnderSlug(aggregates, claim(stream, 'first', false), 'ORG.SLUG_TAKEN', async () => 'created');
    let created = false;
    const error = await createUnderSlug(
      aggregates,
      claim(stream, 'second', true),
      'ORG.SLUG_TAKEN',
      async () => {
        created = true;
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'ORG.SLUG_TAKEN', kind: 'conflict' });
    expect(created).toBe(false);
  });

  it('respects a fresh claim whose holder is not created yet, and takes over one abandoned past its lease', async () => {
    const stream = `reservation-${randomUUID()}`;
    const start = new Date('2026-11-24T10:00:00.000Z');
    // A claimant that died between claiming and creating: its claim stays, its aggregate never appears.
    await aggregates.eventStore.append(
      stream,
      aggregates.envelope(
        [{ type: 'SlugReserved', data: { slug: 'acme', ownerId: 'dead' } }],
        context(start),
        undefined,
      ),
      'no_stream',
    );
    const soon = new Date(start.getTime() + RESERVATION_LEASE_MS - 1);
    await expect(
      createUnderSlug(
        aggregates,
        claim(stream, 'next', false, soon),
        'ORG.SLUG_TAKEN',
        async () => 'created',
      ),
    ).rejects.toMatchObject({ code: 'ORG.SLUG_TAKEN' });
    const later = new Date(start.getTime() + RESERVATION_LEASE_MS);
    await expect(
      createUnderSlug(
        aggregates,
        claim(stream, 'next', false, later),
        'ORG.SLUG_TAKEN',
        async () => 'created',
      ),
    ).resolves.toBe('created');
    expect(await holderOf(stream)).toMatchObject({ status: 'reserved', ownerId: 'next' });
  });
});
