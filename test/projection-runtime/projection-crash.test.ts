import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import path from 'node:path';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { applyEvents } from '../../libs/projection-runtime/apply-batch.js';
import { installProjection } from '../../libs/projection-runtime/install.js';
import { applierLockName } from '../../libs/projection-runtime/projection-runner.js';
import { buildForChildren, type Child, killChildren, spawnChild } from '../support/child-processes.js';
import { eventLogProjection } from './support/event-log.projection.js';
import { newOrg, openRuntimeWorld, type RuntimeWorld, waitFor } from './support/runtime-world.js';

/**
 * DESIGN.md §7: "after a crash nothing is applied twice and nothing is
 * lost". A projector process is killed (SIGKILL: no cleanup of any kind)
 * while a batch is open; a new one finishes the job; the read model must be
 * exactly what a fresh replay of the log builds.
 */
const NAME = 'crash_replay';
let build: string;
let world: RuntimeWorld;

beforeAll(async () => {
  build = await buildForChildren(['libs', 'test/projection-runtime/support']);
  world = await openRuntimeWorld();
});

afterAll(async () => {
  await world?.close();
  if (build) await fs.rm(build, { recursive: true, force: true });
});

afterEach(killChildren);

const startProjector = (env: Record<string, string>): Child =>
  spawnChild(path.join(build, 'test/projection-runtime/support/crash-runner.js'), {
    env: { DATABASE_URL: world.url, PROJECTION: NAME, ...env },
  });

const appliedPositions = (projector: Child) =>
  [...projector.stdout.matchAll(/^applying (\S+)$/gm)].map((match) => match[1]!);

async function lockHeld(): Promise<boolean> {
  const { rows } = await world.database.ownerPool.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND ((classid::bigint << 32) | objid::bigint) = hashtext($1)::bigint) AS held`,
    [applierLockName(NAME)],
  );
  return rows[0]!.held;
}

describe('a projector process killed in the middle of a batch', () => {
  it('leaves rows and checkpoint as of its last commit, and a restart completes them exactly', async () => {
    const orgs = [newOrg(), newOrg(), newOrg()];
    for (const org of orgs) await world.append(org, 20);
    await world.append(orgs[0]!, 20);
    const log = await world.log();
    const projection = eventLogProjection({ name: NAME });

    // Batches of 20: the first commits, the second hangs in its 11th event.
    const first = startProjector({ BATCH_SIZE: '20', STALL_AT: log[30]!.metadata.eventId });
    await waitFor(
      'the second batch to hang',
      () => appliedPositions(first).includes(log[30]!.position),
      20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${first.stdout}\n${first.stderr}`);
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    // What it applied of the open batch is gone; what it committed stays, rows and checkpoint alike.
    expect(appliedPositions(first)).toEqual(log.slice(0, 31).map((e) => e.position));
    expect(await world.checkpoint(NAME)).toMatchObject({ position: log[19]!.position, eventsApplied: 20 });
    expect((await world.rows(projection)).map((r) => r.event_id)).toEqual(
      log.slice(0, 20).map((e) => e.metadata.eventId),
    );
    await waitFor('Postgres to release the lock of the dead session', async () => !(await lockHeld()));

    const second = startProjector({ BATCH_SIZE: '20' });
    await waitFor('the restarted projector to catch up', async () => {
      const checkpoint = await world.checkpoint(NAME);
      return checkpoint.state === 'live' && checkpoint.position === log.at(-1)!.position;
    });
    // It started from the checkpoint: the first 20 were not applied again.
    expect(appliedPositions(second)).toEqual(log.slice(20).map((e) => e.position));

    // A fresh replay of the whole log into an empty table of the same shape.
    const replay = eventLogProjection({ name: 'crash_replay_fresh' });
    await installProjection(world.database.ownerPool, replay);
    const client = await world.database.ownerPool.connect();
    try {
      await client.query('BEGIN');
      await applyEvents(client, replay, log, (event) => upcasters.upcast(event));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const columns = (rows: Array<{ event_id: string; position: string }>) =>
      rows.map(({ event_id, position }) => ({ event_id, position }));
    const rows = columns(await world.rows(projection));
    expect(rows).toEqual(columns(await world.rows(replay)));
    expect(rows).toHaveLength(log.length);
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(log.length);
    expect(await world.checkpoint(NAME)).toMatchObject({
      position: await world.eventStore.headPosition(),
      eventsApplied: log.length,
    });

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.stdout).toContain('stopped\n');
    expect(await lockHeld()).toBe(false);
  });
});
