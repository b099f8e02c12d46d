import { type INestApplication } from '@nestjs/common';
import { type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { type AuthFailureLimits } from '../../../apps/api/auth/auth-failure-limiter.js';
import { createApp } from '../../../apps/api/create-app.js';
import { createLogger, startProjector, startRuntime } from '../../../libs/runtime/index.js';
import { encodePosition, type EventStore, type RecordedEvent } from '../../../libs/event-store/index.js';
import { APP_ROLE, type Database } from '../../../libs/persistence/index.js';
import { collect } from '../../event-store/event-fixtures.js';
import { testHttpAdapter } from '../../support/http-adapter.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

export const OPERATOR_TOKEN = 'e2e-operator-token-0123456789abcdefghijklmnop';

export interface ApiAnswer<Body = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Body;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  /**
   * By default a request carries the highest X-Consistency-Token any earlier
   * answer gave (read-your-writes, as a careful client does). False sends
   * none: the test then reads whatever the projections hold right now.
   */
  readonly consistent?: boolean;
}

/**
 * The whole API over real HTTP, on a real Postgres (embedded, or DATABASE_URL)
 * with the Postgres event store: what clients see, and the log behind it.
 */
export interface E2eApp {
  readonly url: string;
  /** The test database, as its owner (a superuser unless `ownerIsNotSuperuser`). */
  readonly databaseUrl: string;
  readonly database: Database;
  readonly eventStore: EventStore;
  /** Every log line the app wrote. */
  readonly logs: string[];
  request<Body = any>(method: string, path: string, options?: RequestOptions): Promise<ApiAnswer<Body>>;
  /** Every event in the log, oldest first, including all committed when it was called. */
  allEvents(): Promise<RecordedEvent[]>;
  /**
   * Makes the next requests wait until the projections have applied everything
   * in the log now: for events a test appended without HTTP (fixtures).
   */
  catchUp(): Promise<void>;
  /** Stops the in-process projector (close() does too), for tests that run one of their own. */
  stopProjector(): Promise<void>;
  /** Registers a user through the API; returns its id and first token. */
  registerUser(name: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** How often a request the harness gave a consistency token of its own is asked when it answers 503 NOT_YET. */
const IMPLICIT_TOKEN_ATTEMPTS = 5;

export interface E2eAppOptions {
  /** How long a request with X-Consistency-Token may wait (the app's default otherwise). */
  readonly consistencyWaitMs?: number;
  /**
   * Run as a role that is NOT a superuser and owns the database, as the
   * embedded default's tenantry_owner is (a superuser bypasses row-level
   * security even where it is forced, so RLS tests need this).
   */
  readonly ownerIsNotSuperuser?: boolean;
  /** Wraps the event store the API's command side uses (the projector keeps the plain one): to count reads. */
  readonly wrapEventStore?: (eventStore: EventStore) => EventStore;
  /** How many requests may wait for a consistency token at once (the app's default otherwise). */
  readonly maxConsistencyWaiting?: number;
  /** Failed authentications per client address (the app's default otherwise). */
  readonly authFailureLimits?: AuthFailureLimits;
}

export async function startE2eApp(options: E2eAppOptions = {}): Promise<E2eApp> {
  const testDatabase: TestDatabase = await createTestDatabase();
  const databaseUrl = options.ownerIsNotSuperuser ? await plainOwnerUrl(testDatabase.url) : testDatabase.url;
  const runtime = await startRuntime(
    { databaseUrl, appDbPassword: 'app-password-for-tests', dataDir: '/nonexistent' },
    pino({ level: 'silent' }),
  );
  const { database, eventStore } = runtime;
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const app: INestApplication = await createApp({
    logger,
    eventStore: options.wrapEventStore ? options.wrapEventStore(eventStore) : eventStore,
    database,
    operatorToken: OPERATOR_TOKEN,
    httpAdapter: testHttpAdapter(),
    ...(options.consistencyWaitMs === undefined ? {} : { consistencyWaitMs: options.consistencyWaitMs }),
    ...(options.maxConsistencyWaiting === undefined
      ? {}
      : { maxConsistencyWaiting: options.maxConsistencyWaiting }),
    ...(options.authFailureLimits === undefined ? {} : { authFailureLimits: options.authFailureLimits }),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const projector = startProjector({ eventStore, database }, logger, { lockRetryMs: 50 });
  let lastToken: string | undefined;
  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { ...options.headers };
    const implicitToken = options.consistent !== false && lastToken && !('x-consistency-token' in headers);
    if (implicitToken) headers['x-consistency-token'] = lastToken!;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    let response = await fetch(`${url}${path}`, { method, headers, body });
    let text = await response.text();
    // A token the harness added on its own is read-your-writes between a test's steps, not what
    // the test is about: when the projections have not reached it within the app's bound (a
    // loaded CI machine, an app started with a short bound), ask again, as a client honouring
    // Retry-After would. The 503 comes from the guard, before any handler ran, so a command
    // asked again has not been carried out. A token the test sends itself is answered as is.
    for (let attempt = 1; implicitToken && attempt < IMPLICIT_TOKEN_ATTEMPTS; attempt++) {
      if (response.status !== 503 || !text.includes('CONSISTENCY.NOT_YET')) break;
      response = await fetch(`${url}${path}`, { method, headers, body });
      text = await response.text();
    }
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    const token = response.headers.get('x-consistency-token');
    if (token && (!lastToken || token > lastToken)) lastToken = token;
    return { status: response.status, headers: response.headers, body: parsed };
  };

  return {
    url,
    databaseUrl,
    database,
    eventStore,
    logs,
    request,
    async allEvents() {
      // readAll hands out only events below every open transaction (the no-skip rule of
      // the Postgres store), and the projector's batch transactions are open now and then:
      // read until it holds every event committed when the read began.
      for (;;) {
        const { rows } = await database.ownerPool.query<{ count: string }>(
          'SELECT count(*) FROM eventstore.events',
        );
        const events = await collect(eventStore.readAll());
        if (events.length >= Number(rows[0]!.count)) return events;
        await sleep(5);
      }
    },
    async catchUp() {
      // headPosition() stops below every open transaction (the no-skip rule), and a projector
      // batch may be open now, begun before the test's last append: under load the head could
      // then leave that append out. The newest committed event is the position to wait for.
      const { rows } = await database.ownerPool.query<{ transaction_id: string; seq: string }>(
        'SELECT transaction_id, seq FROM eventstore.events ORDER BY transaction_id DESC, seq DESC LIMIT 1',
      );
      const newest = rows[0];
      const head = newest
        ? encodePosition(BigInt(newest.transaction_id), BigInt(newest.seq))
        : await eventStore.headPosition();
      if (!lastToken || head > lastToken) lastToken = head;
    },
    stopProjector: () => projector.stop(),
    async registerUser(name) {
      const answer = await request('POST', '/v1/users', {
        token: OPERATOR_TOKEN,
        body: { email: `${name}-${++counter}-${Date.now()}@example.com`, displayName: name },
      });
      if (answer.status !== 201)
        throw new Error(`registering ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return { id: answer.body.user.id, token: answer.body.token };
    },
    async close() {
      await app.close();
      await projector.stop();
      await runtime.close();
      await testDatabase.drop();
    },
  };
}

/** Asserts an RFC 9457 answer and returns it. */
export function expectProblem(answer: ApiAnswer, status: number, fields?: string[]): ApiAnswer {
  expect({ status: answer.status, type: answer.headers.get('content-type') }).toEqual({
    status,
    type: expect.stringContaining('application/problem+json'),
  });
  expect(answer.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  if (fields)
    expect((answer.body.errors ?? []).map((e: { field: string }) => e.field).sort()).toEqual(
      [...fields].sort(),
    );
  return answer;
}

/**
 * A login role that owns the test database and nothing else: no superuser,
 * no BYPASSRLS. Created by the superuser of `superuserUrl`, with the app
 * role made beforehand so the new owner needs no CREATEROLE.
 */
async function plainOwnerUrl(superuserUrl: string): Promise<string> {
  const url = new URL(superuserUrl);
  const database = url.pathname.slice(1);
  const role = `${database}_owner`;
  const password = randomBytes(12).toString('hex');
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN
        CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'app-password-for-tests';
      EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    await client.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${password}'`);
    await client.query(`ALTER DATABASE ${database} OWNER TO ${role}`);
  } finally {
    await client.end();
  }
  url.username = role;
  url.password = password;
  return url.toString();
}
