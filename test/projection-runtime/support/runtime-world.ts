import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { upcasters } from '../../../libs/domain/upcasting/upcaster-registry.js';
import {
  type EventStore,
  type NewEvent,
  type Position,
  type RecordedEvent,
} from '../../../libs/event-store/index.js';
import { PostgresEventStore } from '../../../libs/event-store/postgres/postgres-event-store.js';
import { type Database } from '../../../libs/persistence/index.js';
import { startRuntime } from '../../../libs/runtime/index.js';
import { type Checkpoint, readCheckpoint } from '../../../libs/projection-runtime/checkpoint.js';
import {
  ProjectionRunner,
  type ProjectionRunnerOptions,
} from '../../../libs/projection-runtime/projection-runner.js';
import { collect, newEvent } from '../../event-store/event-fixtures.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { type EventLogProjection } from './event-log.projection.js';

export const silentLogger = pino({ level: 'silent' });

/** A migrated database with the Postgres event store, for the runtime tests. */
export interface RuntimeWorld {
  /** Superuser URL of the test database. */
  readonly url: string;
  readonly database: Database;
  readonly eventStore: EventStore;
  /** Appends `count` events of one org in one transaction; returns them as recorded. */
  append(
    orgId: string,
    count: number,
    data?: (i: number) => Record<string, unknown>,
  ): Promise<RecordedEvent[]>;
  /** Every event in the log, in order. */
  log(): Promise<RecordedEvent[]>;
  checkpoint(name: string): Promise<Checkpoint>;
  /** The projection's rows in insertion order, read as the owner across tenants. */
  rows(
    projection: EventLogProjection,
  ): Promise<Array<{ event_id: string; position: string; applied_by: string }>>;
  /** A runner with test-speed timings, stopped by close(). */
  runner(projection: EventLogProjection, overrides?: Partial<ProjectionRunnerOptions>): ProjectionRunner;
  /** A second connection pool and event store on the same database, as another process would have. */
  otherProcess(): Promise<{ ownerPool: pg.Pool; eventStore: PostgresEventStore }>;
  close(): Promise<void>;
}

export async function openRuntimeWorld(): Promise<RuntimeWorld> {
  const testDatabase: TestDatabase = await createTestDatabase();
  // Started as the service starts (libs/runtime): Postgres, migrations, the Postgres event store.
  const runtime = await startRuntime(
    { databaseUrl: testDatabase.url, appDbPassword: 'app-password-for-tests', dataDir: '/nonexistent' },
    silentLogger,
    { poolSize: 6, postgresEventStore: { pollIntervalMs: 200 } },
  );
  const { database, eventStore } = runtime;
  const runners: ProjectionRunner[] = [];
  const others: Array<{ ownerPool: pg.Pool; eventStore: PostgresEventStore }> = [];
  let stream = 0;

  const world: RuntimeWorld = {
    url: testDatabase.url,
    database,
    eventStore,
    async append(orgId, count, data = (i) => ({ i })) {
      const events: NewEvent[] = Array.from({ length: count }, (_, i) =>
        newEvent('TestHappened', data(i), orgId),
      );
      const streamName = `test-${orgId}-${stream++}`;
      const { position } = await eventStore.append(streamName, events, 'no_stream');
      // Readers of the whole log see an append once every older transaction has finished, and
      // with a shared DATABASE_URL those include other test files' (xids are server-wide): wait.
      await waitFor(
        'the append to reach the head',
        async () => (await eventStore.headPosition()) >= position,
      );
      return collect(eventStore.readStream(streamName));
    },
    log: () => collect(eventStore.readAll()),
    async checkpoint(name) {
      const checkpoint = await readCheckpoint(database.ownerPool, name);
      if (!checkpoint) throw new Error(`no checkpoint for ${name}`);
      return checkpoint;
    },
    async rows(projection) {
      const { rows } = await database.ownerPool.query(
        // The test's owner is its database's superuser, which RLS does not bind: every tenant's rows.
        `SELECT event_id, position, applied_by FROM ${projection.table} ORDER BY id`,
      );
      return rows;
    },
    runner(projection, overrides = {}) {
      const runner = new ProjectionRunner({
        projection,
        eventStore,
        ownerPool: database.ownerPool,
        logger: silentLogger,
        upcast: (event) => upcasters.upcast(event),
        batchSize: 50,
        retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 4 },
        lockRetryMs: 20,
        ...overrides,
      });
      runners.push(runner);
      return runner;
    },
    async otherProcess() {
      const ownerPool = new pg.Pool({ ...database.ownerPool.options, application_name: 'other-process' });
      ownerPool.on('error', () => undefined);
      const other = { ownerPool, eventStore: new PostgresEventStore(ownerPool, { pollIntervalMs: 200 }) };
      others.push(other);
      return other;
    },
    async close() {
      await Promise.all(runners.map((runner) => runner.stop()));
      for (const other of others) {
        await other.eventStore.close();
        await other.ownerPool.end();
      }
      await runtime.close();
      await testDatabase.drop();
    },
  };
  return world;
}

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until the projection's checkpoint is at `position`. */
export async function waitForCheckpoint(world: RuntimeWorld, name: string, position: Position) {
  await waitFor(
    `${name} to reach ${position}`,
    async () => (await world.checkpoint(name)).position === position,
  );
}

export function newOrg(): string {
  return randomUUID();
}
