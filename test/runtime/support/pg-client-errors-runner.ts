import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { withReadScope } from '../../../libs/persistence/index.js';
import { startProjector, startRuntime } from '../../../libs/runtime/index.js';

/**
 * Every kind of Postgres connection the service holds, open at once, for
 * pg-client-errors.test.ts to cut (pg_terminate_backend: 57P01, what a
 * Postgres that stops or dies sends): the pools' idle clients, clients
 * checked out and idle in a transaction (a read scope, the owner pool, a
 * TypeORM query runner), the event store's LISTEN connection, and the
 * projection runners' applier connections. Prints `holding` once all are
 * open; on SIGUSR2 it releases what it holds, checks that
 * every path queries again, and prints `recovered`. An 'error' event no one
 * listens to would end the process before that.
 */
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, process.stderr);
const runtime = await startRuntime(
  {
    databaseUrl: process.env.DATABASE_URL,
    appDbPassword: process.env.TENANTRY_APP_DB_PASSWORD,
    dataDir: '/nonexistent',
  },
  logger,
  { poolSize: 4, postgresEventStore: { pollIntervalMs: 100 } },
);
const { database, eventStore } = runtime;
const projector = startProjector({ eventStore, database }, logger, { lockRetryMs: 100 });
const subscription = eventStore.subscribeToAll();
const following = (async () => {
  // Reads, errors and all: a subscription whose page read fails ends with that error.
  for await (const message of subscription) void message;
})().catch(() => undefined);

let release!: () => void;
const released = new Promise<void>((resolve) => (release = resolve));
process.once('SIGUSR2', () => release());

const held: Array<Promise<unknown>> = [];
// A read of the API: the app role's client, checked out, idle inside its transaction.
held.push(
  withReadScope(database.appPool, { orgId: null }, async (client) => {
    await client.query('SELECT 1');
    await released;
    return client.query('SELECT 1');
  }).catch(() => 'failed, as it should'),
);
// The owner pool's client, idle in a transaction (what installs, skips and the migration lock do).
held.push(
  (async () => {
    const client = await database.ownerPool.connect();
    try {
      await client.query('BEGIN');
      await released;
      await client.query('COMMIT');
    } finally {
      client.release(true);
    }
  })().catch(() => 'failed, as it should'),
);
// TypeORM's own pool: a query runner holding its connection in a transaction.
held.push(
  (async () => {
    const runner = database.owner.createQueryRunner();
    try {
      await runner.startTransaction();
      await released;
      await runner.commitTransaction();
    } finally {
      await runner.release().catch(() => undefined);
    }
  })().catch(() => 'failed, as it should'),
);

// The LISTEN connection opens on the subscription's first wait; the applier connections with the runners.
const deadline = Date.now() + 20_000;
while (projector.runners.some((runner) => runner.state().state !== 'live')) {
  if (Date.now() > deadline) throw new Error('the projection runners did not go live');
  await sleep(20);
}
await sleep(300);
process.stdout.write('holding\n');

await released;
await Promise.all(held);
for (const probe of [
  () => database.appPool.query('SELECT 1'),
  () => database.ownerPool.query('SELECT 1'),
  () => database.owner.query('SELECT 1'),
  () => eventStore.headPosition(),
]) {
  for (let attempt = 1; ; attempt++) {
    try {
      await probe();
      break;
    } catch (error) {
      if (attempt === 50) throw error;
      await sleep(100);
    }
  }
}
// Listening before saying `recovered`: the test sends SIGTERM as soon as it reads it, and a
// busy machine can run the test between this process's write and a later listener.
process.once('SIGTERM', () => {
  void (async () => {
    await subscription.close();
    await following;
    await projector.stop();
    await runtime.close();
    process.stdout.write('stopped\n');
  })();
});
process.stdout.write('recovered\n');
