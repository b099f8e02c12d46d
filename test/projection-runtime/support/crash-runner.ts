import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { upcasters } from '../../../libs/domain/upcasting/upcaster-registry.js';
import { PostgresEventStore } from '../../../libs/event-store/postgres/postgres-event-store.js';
import {
  openBatch,
  type ProjectedEvent,
  type Projection,
} from '../../../libs/projection-runtime/projection.js';
import { ProjectionRunner } from '../../../libs/projection-runtime/projection-runner.js';
import { eventLogProjection } from './event-log.projection.js';

/**
 * A projector process for the crash tests, built with swc and run as a child
 * so a test can SIGKILL it, against DATABASE_URL. What it runs:
 *
 * - PROJECTION=<name>: the event-log test projection under that name, its
 *   rows tagged with this process (projection-crash.test.ts);
 * - no PROJECTION: the real projector, every projection of
 *   projections/index.ts (projector-crash.test.ts; build `projections` too).
 *
 * The observed projection (the event-log one, or STALL_PROJECTION of the
 * real ones) prints `applying <position>` before each event it applies and
 * hangs inside the event whose id is STALL_AT, so the test can kill the
 * process with a batch open. SIGTERM stops it cleanly.
 */
const url = required('DATABASE_URL');
const eventLogName = process.env.PROJECTION;
const stallProjection = process.env.STALL_PROJECTION;
const stallAt = process.env.STALL_AT;

async function observe(event: ProjectedEvent): Promise<void> {
  process.stdout.write(`applying ${event.ref.position}\n`);
  if (event.ref.eventId === stallAt) await sleep(60_000);
}

function observed(projection: Projection): Projection {
  if (projection.name !== stallProjection) return projection;
  // Without its bulk mode: a first build would otherwise run as a rebuild
  // (rebuild.ts), and these tests kill the runner's own catch-up batches.
  const { completeBuild: _bulk, ...batchByBatch } = projection;
  return {
    ...batchByBatch,
    async apply(client, event) {
      await observe(event);
      await projection.apply(client, event);
    },
    // The runtime applies batches through `batch` (chat-access has its own): observed too.
    batch() {
      const batch = openBatch(projection);
      return {
        async apply(client, event) {
          await observe(event);
          await batch.apply(client, event);
        },
        finish: (client) => batch.finish(client),
      };
    },
  };
}

async function projectionsToRun(): Promise<readonly Projection[]> {
  if (eventLogName) {
    return [
      eventLogProjection({ name: eventLogName, appliedBy: `pid-${process.pid}`, beforeApply: observe }),
    ];
  }
  // Loaded only here, so the event-log runs need no build of projections/.
  const { PROJECTIONS } = await import('../../../projections/index.js');
  return PROJECTIONS.map(observed);
}

const pool = new pg.Pool({ connectionString: url, max: 4 });
pool.on('error', () => undefined);
const eventStore = new PostgresEventStore(pool, { pollIntervalMs: 200 });
const runners = (await projectionsToRun()).map(
  (projection) =>
    new ProjectionRunner({
      projection,
      eventStore,
      ownerPool: pool,
      logger: pino({ level: 'warn' }, process.stderr),
      upcast: (event) => upcasters.upcast(event),
      batchSize: Number(process.env.BATCH_SIZE ?? 500),
      lockRetryMs: 50,
    }),
);

process.once('SIGTERM', () => {
  void (async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await eventStore.close();
    await pool.end();
    process.stdout.write('stopped\n');
  })();
});
for (const runner of runners) runner.start();
process.stdout.write('started\n');

function required(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`${variable} is required`);
  return value;
}
