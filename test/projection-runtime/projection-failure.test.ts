import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RecordedEvent } from '../../libs/event-store/index.js';
import { SkipRefused, skipFailedEvent } from '../../libs/projection-runtime/skip.js';
import { isAnyProjectionFailed, readProjectionStatus } from '../../libs/projection-runtime/status.js';
import { eventLogProjection } from './support/event-log.projection.js';
import {
  newOrg,
  openRuntimeWorld,
  type RuntimeWorld,
  silentLogger,
  waitFor,
  waitForCheckpoint,
} from './support/runtime-world.js';

/**
 * DESIGN.md §7: a projection that fails on an event retries with backoff,
 * then stops `failed` at that event; it never skips one silently, and only
 * an explicit, logged skip moves it on.
 */
let world: RuntimeWorld;
beforeAll(async () => {
  world = await openRuntimeWorld();
});
afterAll(async () => {
  await world?.close();
});

const idsOf = (events: readonly RecordedEvent[]) => events.map((e) => e.metadata.eventId);

/** A projection that throws on the events given, every time. */
function poisonedBy(name: string, poison: () => ReadonlySet<string>) {
  return eventLogProjection({
    name,
    beforeApply: (event) => {
      if (poison().has(event.ref.eventId)) throw new Error('cannot apply this event');
    },
  });
}

async function skipsOf(name: string) {
  const { rows } = await world.database.ownerPool.query(
    'SELECT position, event_type, event_id, error, reason, actor FROM projection.skips WHERE name = $1',
    [name],
  );
  return rows;
}

describe('a projection that cannot apply an event', () => {
  it('stops failed at it, with every event before it applied and none after, until a skip', async () => {
    const org = newOrg();
    const earlier = await world.log();
    const events = [...(await world.append(org, 12)), ...(await world.append(newOrg(), 5))];
    const poisoned = events[6]!;
    const projection = poisonedBy('stops_at_poison', () => new Set([poisoned.metadata.eventId]));
    // One batch holds all of them: the runner must narrow it down to the event.
    const runner = world.runner(projection, { batchSize: 500, retry: { attempts: 3, initialDelayMs: 1 } });

    runner.start();
    await waitFor('the projection to fail', () => runner.state().state === 'failed');

    expect(await world.checkpoint(projection.name)).toMatchObject({
      state: 'failed',
      position: events[5]!.position,
      failedPosition: poisoned.position,
      failedEventType: 'TestHappened',
      failedEventId: poisoned.metadata.eventId,
      lastError: 'TestHappened: cannot apply this event',
      retries: 3,
    });
    expect((await world.rows(projection)).map((r) => r.event_id)).toEqual(
      idsOf([...earlier, ...events.slice(0, 6)]),
    );
    expect(runner.state()).toMatchObject({
      state: 'failed',
      position: events[5]!.position,
      lastError: 'TestHappened: cannot apply this event',
    });
    const [status] = await readProjectionStatus(world.database.appPool, world.eventStore, [projection]);
    expect(status).toMatchObject({
      state: 'failed',
      running: true,
      failedPosition: poisoned.position,
      lagEvents: 11,
      lastError: 'TestHappened: cannot apply this event',
    });
    expect(await isAnyProjectionFailed(world.database.appPool, [projection.name])).toBe(true);

    // Events appended while it is failed wait too.
    const later = await world.append(org, 2);
    const skipped = await skipFailedEvent(
      world.database.ownerPool,
      {
        name: projection.name,
        position: poisoned.position,
        reason: 'bad data, see INC-42',
        actor: 'ops-alice',
      },
      silentLogger,
    );

    expect(skipped).toMatchObject({
      name: projection.name,
      position: poisoned.position,
      eventType: 'TestHappened',
      eventId: poisoned.metadata.eventId,
    });
    await waitForCheckpoint(world, projection.name, later.at(-1)!.position);
    await waitFor('the projection to go live', () => runner.state().state === 'live');
    const everyEventButThePoisoned = (await world.log()).filter((e) => e.position !== poisoned.position);
    expect((await world.rows(projection)).map((r) => r.event_id)).toEqual(idsOf(everyEventButThePoisoned));
    expect(await world.checkpoint(projection.name)).toMatchObject({
      state: 'live',
      failedPosition: null,
      failedEventType: null,
      lastError: null,
      retries: 0,
    });
    expect(await skipsOf(projection.name)).toEqual([
      {
        position: poisoned.position,
        event_type: 'TestHappened',
        event_id: poisoned.metadata.eventId,
        error: 'TestHappened: cannot apply this event',
        reason: 'bad data, see INC-42',
        actor: 'ops-alice',
      },
    ]);
    expect(await isAnyProjectionFailed(world.database.appPool, [projection.name])).toBe(false);
  });

  it('refuses a skip of another position, without a reason or actor, or of a projection not failed', async () => {
    const events = await world.append(newOrg(), 3);
    const poisoned = events[1]!;
    const projection = poisonedBy('refuses_skips', () => new Set([poisoned.metadata.eventId]));
    const runner = world.runner(projection);
    runner.start();
    await waitFor('the projection to fail', () => runner.state().state === 'failed');
    const skip = (request: Partial<Parameters<typeof skipFailedEvent>[1]>) =>
      skipFailedEvent(
        world.database.ownerPool,
        { name: projection.name, position: poisoned.position, reason: 'decided', actor: 'ops', ...request },
        silentLogger,
      ).then(
        () => 'skipped',
        (error: unknown) => (error instanceof SkipRefused ? error.code : error),
      );

    expect(await skip({ position: events[2]!.position })).toBe('PROJECTION.SKIP_POSITION_MISMATCH');
    expect(await skip({ position: events[0]!.position })).toBe('PROJECTION.SKIP_POSITION_MISMATCH');
    expect(await skip({ reason: '' })).toBe('PROJECTION.SKIP_REASON_REQUIRED');
    expect(await skip({ reason: '   ' })).toBe('PROJECTION.SKIP_REASON_REQUIRED');
    expect(await skip({ actor: '' })).toBe('PROJECTION.SKIP_ACTOR_REQUIRED');
    expect(await skip({ name: 'no_such_projection' })).toBe('PROJECTION.NOT_FOUND');
    expect(await skip({ name: 'stops_at_poison' })).toBe('PROJECTION.NOT_FAILED');
    expect(await world.checkpoint(projection.name)).toMatchObject({
      state: 'failed',
      failedPosition: poisoned.position,
    });
    expect(await skipsOf(projection.name)).toEqual([]);

    // The same skip typed twice skips once.
    expect(await skip({})).toBe('skipped');
    expect(await skip({})).toBe('PROJECTION.NOT_FAILED');
    await waitForCheckpoint(world, projection.name, (await world.log()).at(-1)!.position);
    expect(await skipsOf(projection.name)).toHaveLength(1);
  });
});
