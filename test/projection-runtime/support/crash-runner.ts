import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { upcasters } from '../../../libs/domain/upcasting/upcaster-registry.js';
import { PostgresEventStore } from '../../../libs/event-store/postgres/postgres-event-store.js';
import { ProjectionRunner } from '../../../libs/projection-runtime/projection-runner.js';
import { eventLogProjection } from './event-log.projection.js';

/**
 * A projector process for projection-crash.test.ts, built with swc and run
 * as a child so the test can SIGKILL it. It runs the event-log projection
 * named PROJECTION against DATABASE_URL, prints `applying <position>` before
 * each event it applies, and hangs inside the event whose id is STALL_AT, so
 * the test can kill it with a batch open. SIGTERM stops it cleanly.
 */
const url = required('DATABASE_URL');
const name = required('PROJECTION');
const stallAt = process.env.STALL_AT;

const pool = new pg.Pool({ connectionString: url, max: 4 });
pool.on('error', () => undefined);
const eventStore = new PostgresEventStore(pool, { pollIntervalMs: 200 });
const runner = new ProjectionRunner({
  projection: eventLogProjection({
    name,
    appliedBy: `pid-${process.pid}`,
    beforeApply: async (event) => {
      process.stdout.write(`applying ${event.ref.position}\n`);
      if (event.ref.eventId === stallAt) await sleep(60_000);
    },
  }),
  eventStore,
  ownerPool: pool,
  logger: pino({ level: 'warn' }, process.stderr),
  upcast: (event) => upcasters.upcast(event),
  batchSize: Number(process.env.BATCH_SIZE ?? 500),
  lockRetryMs: 50,
});

process.once('SIGTERM', () => {
  void (async () => {
    await runner.stop();
    await eventStore.close();
    await pool.end();
    process.stdout.write('stopped\n');
  })();
});
runner.start();
process.stdout.write('started\n');

function required(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new Error(`${variable} is required`);
  return value;
}
