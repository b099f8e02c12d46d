import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pino } from 'pino';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore, type NewEvent, type Position, START } from '../../libs/event-store/index.js';
import { type Database, type ReadScope, withReadScope } from '../../libs/persistence/index.js';
import { applyEvents } from '../../libs/projection-runtime/apply-batch.js';
import { installProjection } from '../../libs/projection-runtime/install.js';
import { type Projection } from '../../libs/projection-runtime/projection.js';
import { startRuntime } from '../../libs/runtime/index.js';
import { collect } from '../event-store/event-fixtures.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/**
 * Projections on a real Postgres with the real event store, without the
 * runner: tests append domain events, call `project()`, and read the rows
 * through the app role under row-level security, as the API does.
 */
export interface ProjectionHarness {
  readonly database: Database;
  readonly eventStore: EventStore;
  /** Appends domain events (type + data) to a stream with full metadata; returns the last position. */
  append(
    streamName: string,
    events: ReadonlyArray<{ type: string; data: object }>,
    orgId?: string,
  ): Promise<Position>;
  /**
   * Applies every event appended so far to every projection, one transaction
   * per projection. It first waits until the log hands out the last event
   * appended: the Postgres event store holds an event back while any older
   * transaction on the server is open (another test's, on a shared server).
   */
  project(): Promise<void>;
  /** Runs `read` as the app role, with the scope set: what query handlers do. */
  read<T>(scope: ReadScope, read: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startProjectionHarness(projections: readonly Projection[]): Promise<ProjectionHarness> {
  const testDatabase: TestDatabase = await createTestDatabase();
  const runtime = await startRuntime(
    { databaseUrl: testDatabase.url, appDbPassword: 'app-password-for-tests', dataDir: '/nonexistent' },
    pino({ level: 'silent' }),
    { poolSize: 4 },
  );
  const { database, eventStore } = runtime;
  for (const projection of projections) await installProjection(database.ownerPool, projection);
  const checkpoints = new Map<string, Position>(projections.map((p) => [p.name, START]));
  let lastAppended: Position = START;

  return {
    database,
    eventStore,
    async append(streamName, events, orgId) {
      const stamped: NewEvent[] = events.map((event) => ({
        type: event.type,
        data: event.data,
        metadata: {
          eventId: randomUUID(),
          ...(orgId ? { orgId } : {}),
          actorId: randomUUID(),
          correlationId: randomUUID(),
          causationId: randomUUID(),
          occurredAt: new Date().toISOString(),
          schemaVersion: 1,
        },
      }));
      const { position } = await eventStore.append(streamName, stamped, 'any');
      if (position > lastAppended) lastAppended = position;
      return position;
    },
    async project() {
      const deadline = Date.now() + 10_000;
      while ((await eventStore.headPosition()) < lastAppended) {
        if (Date.now() > deadline) throw new Error(`the log did not hand out ${lastAppended} within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (const projection of projections) {
        const after = checkpoints.get(projection.name) ?? START;
        const events = await collect(eventStore.readAll({ after }));
        if (events.length === 0) continue;
        const client = await database.ownerPool.connect();
        try {
          await client.query('BEGIN');
          await applyEvents(client, projection, events, (event) => upcasters.upcast(event));
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
        checkpoints.set(projection.name, events.at(-1)!.position);
      }
    },
    read: (scope, read) => withReadScope(database.appPool, scope, read),
    async close() {
      await runtime.close();
      await testDatabase.drop();
    },
  };
}
