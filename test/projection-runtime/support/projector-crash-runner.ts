import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { upcasters } from '../../../libs/domain/upcasting/upcaster-registry.js';
import { PostgresEventStore } from '../../../libs/event-store/postgres/postgres-event-store.js';
import { type Projection } from '../../../libs/projection-runtime/projection.js';
import { ProjectionRunner } from '../../../libs/projection-runtime/projection-runner.js';
import { PROJECTIONS } from '../../../projections/index.js';

/**
 * The real projector, every projection of projections/index.ts, as a child
 * process for projector-crash.test.ts to SIGKILL. One projection,
 * STALL_PROJECTION, prints `applying <position>` before each event it applies
 * and hangs inside the event whose id is STALL_AT, so the test can kill the
 * process with that projection's batch open. SIGTERM stops it cleanly.
 */
const url = required('DATABASE_URL');
const stallProjection = process.env.STALL_PROJECTION;
const stallAt = process.env.STALL_AT;

const pool = new pg.Pool({ connectionString: url, max: 4 });
pool.on('error', () => undefined);
const eventStore = new PostgresEventStore(pool, { pollIntervalMs: 200 });

function observed(projection: Projection): Projection {
  if (projection.name !== stallProjection) return projection;
  return {
    ...projection,
    async apply(client, event) {
      process.stdout.write(`applying ${event.ref.position}\n`);
      if (event.ref.eventId === stallAt) await sleep(60_000);
      await projection.apply(client, event);
    },
  };
}

const runners = PROJECTIONS.map(
  (projection) =>
    new ProjectionRunner({
      projection: observed(projection),
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
