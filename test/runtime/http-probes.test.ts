import { type INestApplication } from '@nestjs/common';
import { type AddressInfo } from 'node:net';
import pg from 'pg';
import { pino } from 'pino';
import { createApp } from '../../apps/api/create-app.js';
import { testHttpAdapter } from '../support/http-adapter.js';
import { type ReadyBody } from '../../apps/api/health/health.controller.js';
import {
  createLogger,
  type Projector,
  type Runtime,
  startProjector,
  startRuntime,
} from '../../libs/runtime/index.js';
import { type EventStore } from '../../libs/event-store/index.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { type Database } from '../../libs/persistence/index.js';
import { findFreePort } from '../../libs/persistence/embedded/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const OPERATOR_TOKEN = 'operator-token-for-the-http-probe-tests-000';

interface RunningApp {
  readonly url: string;
  /**
   * What the app's logger wrote. nestjs-pino keeps one HTTP logger per
   * process (the first app's), so only the first app of this file sees its
   * request records here.
   */
  readonly logs: string[];
  close(): Promise<void>;
}

async function startApp(
  eventStore: Pick<EventStore, 'ping' | 'close'>,
  database: Pick<Database, 'ping' | 'ownerPool' | 'appPool'>,
): Promise<RunningApp> {
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const app: INestApplication = await createApp({
    logger,
    eventStore: eventStore as EventStore,
    database,
    operatorToken: OPERATOR_TOKEN,
    httpAdapter: testHttpAdapter(),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, logs, close: () => app.close() };
}

describe('health, readiness and metrics (DESIGN.md §10)', () => {
  let testDatabase: TestDatabase;
  let database: Database;
  let runtime: Runtime;
  let eventStore: EventStore;
  let app: RunningApp;
  let projector: Projector;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    // The test database plays DATABASE_URL: its superuser acts as the owner role.
    runtime = await startRuntime(
      { databaseUrl: testDatabase.url, appDbPassword: 'app-password-for-tests', dataDir: '/nonexistent' },
      pino({ level: 'silent' }),
    );
    ({ database, eventStore } = runtime);
    projector = startProjector({ eventStore, database }, pino({ level: 'silent' }), { lockRetryMs: 50 });
    app = await startApp(eventStore, database);
    // Ready once every projection has installed itself and caught up.
    for (let tries = 0; (await fetch(`${app.url}/ready`)).status !== 200; tries++) {
      if (tries > 200) throw new Error('the projections never became ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  afterAll(async () => {
    await app?.close();
    await projector?.stop();
    await runtime?.close();
    await testDatabase?.drop();
  });

  it('answers /health with 200 {status: ok}', async () => {
    const response = await fetch(`${app.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /ready with 200 when the event store and Postgres answer', async () => {
    const response = await fetch(`${app.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      checks: { eventStore: 'up', postgres: 'up', projections: 'up' },
    });
  });

  it('answers /ready with 503 naming the projections while one is catching up', async () => {
    await database.ownerPool.query(
      "UPDATE projection.checkpoints SET state = 'catching_up' WHERE name = 'groups'",
    );
    try {
      const response = await fetch(`${app.url}/ready`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as ReadyBody).checks.projections).toBe('down');
    } finally {
      await database.ownerPool.query(
        "UPDATE projection.checkpoints SET state = 'live' WHERE name = 'groups'",
      );
    }
  });

  it('answers /ready with 503 naming the projections while one has failed', async () => {
    await database.ownerPool.query(
      "UPDATE projection.checkpoints SET state = 'failed', last_error = 'test' WHERE name = 'chats'",
    );
    try {
      const response = await fetch(`${app.url}/ready`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as ReadyBody).checks).toEqual({
        eventStore: 'up',
        postgres: 'up',
        projections: 'down',
      });
    } finally {
      await database.ownerPool.query(
        "UPDATE projection.checkpoints SET state = 'live', last_error = NULL WHERE name = 'chats'",
      );
    }
  });

  it('answers /ready with 503 while no runner applies a projection, though its row still says live', async () => {
    // What a Postgres restart or a dead projector process leaves: rows saying live, no applier.
    await projector.stop();
    await database.ownerPool.query("UPDATE projection.checkpoints SET state = 'live'");
    const response = await fetch(`${app.url}/ready`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as ReadyBody).checks.projections).toBe('down');
    projector = startProjector({ eventStore, database }, pino({ level: 'silent' }), { lockRetryMs: 50 });
    for (let tries = 0; (await fetch(`${app.url}/ready`)).status !== 200; tries++) {
      if (tries > 200) throw new Error('the projections never became ready again');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('serves Prometheus text with process metrics and counted requests', async () => {
    await fetch(`${app.url}/health`);
    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(body).toContain('# TYPE http_request_duration_seconds histogram');
    expect(body).toMatch(/^http_requests_total\{method="GET",route="\/health",status="200"\} [1-9]\d*$/m);
  });

  it('counts requests by route pattern, not by URL', async () => {
    await fetch(`${app.url}/no/such/route/123`);
    const body = await (await fetch(`${app.url}/metrics`)).text();
    expect(body).not.toContain('/no/such/route/123');
    expect(body).toMatch(/^http_requests_total\{method="GET",route="[^"]*",status="404"\} 1$/m);
  });

  it('never logs an Authorization header', async () => {
    const secret = 'plaintext-bearer-token-that-must-not-be-logged';
    const response = await fetch(`${app.url}/v1/somewhere`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(response.status).toBe(404);
    const requestLog = app.logs.find((line) => line.includes('/v1/somewhere'));
    expect(requestLog).toBeDefined();
    expect(JSON.parse(requestLog!).req.headers.authorization).toBe('[redacted]');
    expect(app.logs.join('')).not.toContain(secret);
  });

  it('redacts authorization headers in application log records too', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info({ headers: { authorization: 'Bearer abc123secret' } }, 'outgoing call');
    logger.info({ request: { headers: { authorization: 'Bearer abc123secret' } } }, 'nested');
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toContain('abc123secret');
  });

  describe('when a store is unreachable', () => {
    it('answers /ready with 503 naming the event store', async () => {
      const closedPort = await findFreePort();
      const unreachable = new pg.Pool({ connectionString: `postgres://nobody@127.0.0.1:${closedPort}/none` });
      unreachable.on('error', () => undefined);
      const deadStore = new PostgresEventStore(unreachable);
      const broken = await startApp(deadStore, database);
      try {
        const response = await fetch(`${broken.url}/ready`);
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual({
          status: 'unavailable',
          checks: { eventStore: 'down', postgres: 'up', projections: 'up' },
        });
        // The projections' lag cannot be read without the log: /metrics still answers, without it.
        const metrics = await fetch(`${broken.url}/metrics`);
        expect(metrics.status).toBe(200);
        const text = await metrics.text();
        expect(text).toContain('http_requests_total');
        expect(text).not.toMatch(/^tenantry_projection_lag_events\{/m);
      } finally {
        await broken.close();
        await deadStore.close();
        await unreachable.end();
      }
    });

    it('answers /ready with 503 naming Postgres', async () => {
      const broken = await startApp(eventStore, {
        ownerPool: database.ownerPool,
        appPool: database.appPool,
        ping: () => Promise.reject(new Error('connection refused')),
      });
      try {
        const response = await fetch(`${broken.url}/ready`);
        expect(response.status).toBe(503);
        expect(((await response.json()) as ReadyBody).checks).toEqual({
          eventStore: 'up',
          postgres: 'down',
          projections: 'up',
        });
      } finally {
        await broken.close();
      }
    });

    it('counts a check that hangs as down instead of hanging the probe', async () => {
      const hung = await startApp(
        { ping: () => new Promise(() => undefined), close: async () => {} },
        database,
      );
      try {
        const started = Date.now();
        const response = await fetch(`${hung.url}/ready`);
        expect(response.status).toBe(503);
        expect(((await response.json()) as ReadyBody).checks.eventStore).toBe('down');
        expect(Date.now() - started).toBeLessThan(5_000);
      } finally {
        await hung.close();
      }
    });
  });
});
