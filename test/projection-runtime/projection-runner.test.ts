import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RecordedEvent } from '../../libs/event-store/index.js';
import { type AppliedBatch, applierLockName } from '../../libs/projection-runtime/projection-runner.js';
import { eventLogProjection } from './support/event-log.projection.js';
import {
  newOrg,
  openRuntimeWorld,
  type RuntimeWorld,
  waitFor,
  waitForCheckpoint,
} from './support/runtime-world.js';

/**
 * The runner against real Postgres and the real event store (DESIGN.md §7).
 * Every projection here applies the whole log, including what earlier
 * tests of this file appended, so expectations are read from the log.
 */
let world: RuntimeWorld;
beforeAll(async () => {
  world = await openRuntimeWorld();
});
afterAll(async () => {
  await world?.close();
});

const idsOf = (events: readonly RecordedEvent[]) => events.map((e) => e.metadata.eventId);

async function expectEveryEventOnce(projection: ReturnType<typeof eventLogProjection>) {
  const rows = await world.rows(projection);
  const log = await world.log();
  expect(rows.map((r) => r.event_id)).toEqual(idsOf(log));
  expect((await world.checkpoint(projection.name)).position).toBe(log.at(-1)!.position);
}

/** Backends holding a projection's applier lock, whichever process they belong to. */
async function lockHolders(name: string): Promise<number[]> {
  const { rows } = await world.database.ownerPool.query<{ pid: number }>(
    `SELECT pid FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND ((classid::bigint << 32) | objid::bigint) = hashtext($1)::bigint`,
    [applierLockName(name)],
  );
  return rows.map((row) => row.pid);
}

async function applierConnections(name: string): Promise<number> {
  const { rows } = await world.database.ownerPool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`,
    [`tenantry-projection:${name}`],
  );
  return rows[0]!.n;
}

describe('a projection runner', () => {
  it('catches up and then follows live events through one path, applying each event once', async () => {
    const orgA = newOrg();
    const orgB = newOrg();
    await world.append(orgA, 40);
    await world.append(orgB, 25);
    const projection = eventLogProjection({ name: 'catch_up_then_live' });
    const batches: AppliedBatch[] = [];
    const runner = world.runner(projection, { batchSize: 20, onBatch: (batch) => batches.push(batch) });

    runner.start();
    await waitFor('the runner to go live', () => runner.state().state === 'live');
    const caughtUpTo = (await world.log()).at(-1)!.position;
    expect(await world.checkpoint(projection.name)).toMatchObject({
      state: 'live',
      position: caughtUpTo,
      eventsApplied: (await world.log()).length,
    });

    const live = [...(await world.append(orgA, 3)), ...(await world.append(orgB, 4))];
    await waitForCheckpoint(world, projection.name, live.at(-1)!.position);

    await expectEveryEventOnce(projection);
    expect(runner.state()).toMatchObject({ state: 'live', position: live.at(-1)!.position, lastError: null });
    // catching_up batches, then live ones: never back.
    expect(batches.map((b) => b.state).join(' ')).toMatch(/^(catching_up )+live( live)*$/);
    expect(batches.every((b) => b.count >= 1 && b.count <= 20)).toBe(true);
    expect(batches.filter((b) => b.state === 'catching_up').every((b) => b.count === 20)).toBe(true);
    expect(batches.reduce((sum, b) => sum + b.count, 0)).toBe((await world.log()).length);
    expect(batches.at(-1)!.lastPosition).toBe(live.at(-1)!.position);
  });

  it('gives its tables planner statistics after a long catch-up, and not after a short one', async () => {
    await world.append(newOrg(), 30);
    const lastAnalyzed = async (table: string) =>
      (
        await world.database.ownerPool.query<{ analyzed: Date | null }>(
          `SELECT last_analyze AS analyzed FROM pg_stat_user_tables
            WHERE schemaname || '.' || relname = $1`,
          [table],
        )
      ).rows[0]?.analyzed ?? null;
    const long = eventLogProjection({ name: 'long_catch_up' });
    const short = eventLogProjection({ name: 'short_catch_up' });
    const events = (await world.log()).length;
    const runners = [
      world.runner(long, { analyzeAfterCatchUpEvents: events }),
      world.runner(short, { analyzeAfterCatchUpEvents: events + 1 }),
    ];
    for (const runner of runners) runner.start();
    await waitFor('both runners to go live', () => runners.every((r) => r.state().state === 'live'));
    await waitFor('the long catch-up to analyze', async () => (await lastAnalyzed(long.table)) !== null);
    expect(await lastAnalyzed(short.table)).toBeNull();
  });

  it('retries a batch that fails for a while and ends live with nothing applied twice', async () => {
    const org = newOrg();
    const events = await world.append(org, 10);
    const flaky = events[4]!.metadata.eventId;
    const projection = eventLogProjection({
      name: 'transient_error',
      beforeApply: async (event) => {
        if (event.ref.eventId !== flaky || failures >= 2) return;
        failures++;
        // Between attempts the row says the batch is being retried, and why.
        if (failures === 2) seenBetweenAttempts = await world.checkpoint('transient_error');
        throw new Error('could not serialize access');
      },
    });
    let failures = 0;
    let seenBetweenAttempts: Awaited<ReturnType<RuntimeWorld['checkpoint']>> | undefined;
    const runner = world.runner(projection, { retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 } });

    runner.start();
    await waitFor('the runner to go live', () => runner.state().state === 'live');

    expect(failures).toBe(2);
    expect(seenBetweenAttempts).toMatchObject({
      state: 'catching_up',
      retries: 1,
      lastError: 'could not serialize access',
    });
    expect(await world.checkpoint(projection.name)).toMatchObject({
      state: 'live',
      retries: 0,
      lastError: null,
    });
    await expectEveryEventOnce(projection);
  });

  it('runs in one process at a time; another takes over from the checkpoint when it stops or dies', async () => {
    const org = newOrg();
    const name = 'takeover';
    const other = await world.otherProcess();
    const a = world.runner(eventLogProjection({ name, appliedBy: 'a' }));
    const b = world.runner(eventLogProjection({ name, appliedBy: 'b' }), other);

    await world.append(org, 10);
    a.start();
    await waitFor('a to go live', () => a.state().state === 'live');
    b.start();
    await waitFor('b to connect', async () => (await applierConnections(name)) === 2);
    await waitForCheckpoint(world, name, (await world.append(org, 10)).at(-1)!.position);
    expect(b.state().state).toBe('standby');

    // A clean stop hands over.
    await a.stop();
    expect(a.state().state).toBe('stopped');
    await waitFor('b to take over', () => b.state().state === 'live');
    await waitForCheckpoint(world, name, (await world.append(org, 10)).at(-1)!.position);

    // A death hands over too: the lock goes with the connection.
    const a2 = world.runner(eventLogProjection({ name, appliedBy: 'a2' }));
    a2.start();
    await waitFor('a2 to connect', async () => (await applierConnections(name)) === 2);
    const [holder] = await lockHolders(name);
    await world.database.ownerPool.query('SELECT pg_terminate_backend($1)', [holder]);
    await waitFor('a2 to take over', () => a2.state().state === 'live');
    await waitFor('b to stand by', () => b.state().state === 'standby');
    await waitForCheckpoint(world, name, (await world.append(org, 10)).at(-1)!.position);

    await expectEveryEventOnce(eventLogProjection({ name }));
    const appliedBy = (await world.rows(eventLogProjection({ name }))).map((row) => row.applied_by);
    const log = await world.log();
    // Everything up to the first stop by a, the next 10 by b, the last 10 by a2.
    expect(appliedBy).toEqual([
      ...Array<string>(log.length - 20).fill('a'),
      ...Array<string>(10).fill('b'),
      ...Array<string>(10).fill('a2'),
    ]);
    expect(await lockHolders(name)).toHaveLength(1);
  });

  it('takes its lock back and carries on when its own connection is killed', async () => {
    const org = newOrg();
    const projection = eventLogProjection({ name: 'killed_alone' });
    const runner = world.runner(projection);
    runner.start();
    await waitFor('the runner to go live', () => runner.state().state === 'live');
    const [holder] = await lockHolders(projection.name);

    await world.database.ownerPool.query('SELECT pg_terminate_backend($1)', [holder]);
    const appended = await world.append(org, 5);
    await waitForCheckpoint(world, projection.name, appended.at(-1)!.position);

    const [newHolder] = await lockHolders(projection.name);
    expect(newHolder).not.toBe(holder);
    await expectEveryEventOnce(projection);
  });

  it('lets go of its lock and connection when stopped', async () => {
    const projection = eventLogProjection({ name: 'stops_cleanly' });
    const runner = world.runner(projection);
    runner.start();
    await waitFor('the runner to go live', () => runner.state().state === 'live');

    await runner.stop();

    expect(runner.state().state).toBe('stopped');
    expect(await lockHolders(projection.name)).toEqual([]);
    await waitFor('its connection to close', async () => (await applierConnections(projection.name)) === 0);
  });
});
