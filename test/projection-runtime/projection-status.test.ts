import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { START } from '../../libs/event-store/index.js';
import { installProjection } from '../../libs/projection-runtime/install.js';
import { readProjectionStates, readProjectionStatus } from '../../libs/projection-runtime/status.js';
import { eventLogProjection } from './support/event-log.projection.js';
import { newOrg, openRuntimeWorld, type RuntimeWorld, waitFor } from './support/runtime-world.js';

/** `tenantry projections status` and /v1/admin/projections read this (DESIGN.md §8). */
let world: RuntimeWorld;
beforeAll(async () => {
  world = await openRuntimeWorld();
});
afterAll(async () => {
  await world?.close();
});

async function databaseNow(): Promise<number> {
  const { rows } = await world.database.ownerPool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  return rows[0]!.now.getTime();
}

describe('projection status', () => {
  it('counts the lag in events and seconds before catching up, and none after', async () => {
    const projection = eventLogProjection({ name: 'status_lag' });
    await installProjection(world.database.ownerPool, projection);
    await world.append(newOrg(), 8);
    await world.append(newOrg(), 4);
    const log = await world.log();
    const firstRecordedAt = log[0]!.recordedAt.getTime();

    const before = await databaseNow();
    // As the API reads it: through the app role.
    const [behind] = await readProjectionStatus(world.database.appPool, world.eventStore, [projection]);
    const after = await databaseNow();

    expect(behind).toMatchObject({
      name: 'status_lag',
      version: 1,
      installedVersion: 1,
      state: 'catching_up',
      running: false,
      stale: false,
      position: START,
      head: log.at(-1)!.position,
      lagEvents: 12,
      lagEventsCapped: false,
      eventsApplied: 0,
      lastError: null,
      failedPosition: null,
    });
    expect(behind!.lagSeconds).toBeGreaterThanOrEqual((before - firstRecordedAt) / 1000 - 0.001);
    expect(behind!.lagSeconds).toBeLessThanOrEqual((after - firstRecordedAt) / 1000 + 0.001);
    expect(behind!.lagSeconds).toBeGreaterThan(0);

    const runner = world.runner(projection);
    runner.start();
    await waitFor('the runner to go live', () => runner.state().state === 'live');
    const [caughtUp] = await readProjectionStatus(world.database.appPool, world.eventStore, [projection]);

    expect(caughtUp).toMatchObject({
      state: 'live',
      running: true,
      position: log.at(-1)!.position,
      head: log.at(-1)!.position,
      lagEvents: 0,
      lagEventsCapped: false,
      lagSeconds: 0,
      eventsApplied: 12,
    });

    await runner.stop();
    const [stopped] = await readProjectionStatus(world.database.appPool, world.eventStore, [projection]);
    expect(stopped).toMatchObject({ state: 'live', running: false, lagEvents: 0 });
  });

  it('says "at least" past the cap, and exactly up to it', async () => {
    const projection = eventLogProjection({ name: 'status_cap' });
    await installProjection(world.database.ownerPool, projection);
    const total = (await world.log()).length;
    const status = async (lagCap: number) =>
      (await readProjectionStatus(world.database.ownerPool, world.eventStore, [projection], { lagCap }))[0];

    expect(await status(total - 1)).toMatchObject({ lagEvents: total - 1, lagEventsCapped: true });
    expect(await status(total)).toMatchObject({ lagEvents: total, lagEventsCapped: false });
  });

  it('reports a projection built under an older access policy as stale, one of no policy data never, and one never run as not installed', async () => {
    const built = { ...eventLogProjection({ name: 'status_stale' }), policyVersion: 7 };
    await installProjection(world.database.ownerPool, built);
    await world.database.ownerPool.query(
      'UPDATE projection.checkpoints SET policy_version = policy_version - 1 WHERE name = $1',
      [built.name],
    );
    const policyFree = eventLogProjection({ name: 'status_policy_free' });
    await installProjection(world.database.ownerPool, policyFree);
    const [free] = await readProjectionStatus(world.database.appPool, world.eventStore, [policyFree]);
    expect(free).toMatchObject({ stale: false, policyVersion: null, currentPolicyVersion: null });
    const never = eventLogProjection({ name: 'status_never_run', version: 3 });

    const [stale, notInstalled] = await readProjectionStatus(world.database.appPool, world.eventStore, [
      built,
      never,
    ]);

    expect(stale).toMatchObject({
      name: 'status_stale',
      stale: true,
      state: 'catching_up',
      policyVersion: 6,
      currentPolicyVersion: 7,
    });
    expect(notInstalled).toMatchObject({
      name: 'status_never_run',
      version: 3,
      installedVersion: null,
      state: 'not_installed',
      stale: false,
      position: START,
      lagEvents: (await world.log()).length,
    });
    expect(await readProjectionStates(world.database.appPool, [built.name, never.name])).toEqual([
      { name: 'status_stale', state: 'catching_up' },
      { name: 'status_never_run', state: 'not_installed' },
    ]);
  });
});
