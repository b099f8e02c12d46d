import { type INestApplication } from '@nestjs/common';
import { type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp } from '../../../apps/api/create-app.js';
import { createLogger } from '../../../apps/api/logging.js';
import { type RecordedEvent } from '../../../libs/event-store/index.js';
import { PostgresEventStore } from '../../../libs/event-store/postgres/postgres-event-store.js';
import { type Database, openDatabase, runMigrations } from '../../../libs/persistence/index.js';
import { collect } from '../../event-store/event-fixtures.js';
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
}

/**
 * The whole API over real HTTP, on a real Postgres (embedded, or DATABASE_URL)
 * with the Postgres event store: what clients see, and the log behind it.
 */
export interface E2eApp {
  readonly url: string;
  readonly database: Database;
  readonly eventStore: PostgresEventStore;
  /** Every log line the app wrote. */
  readonly logs: string[];
  request<Body = any>(method: string, path: string, options?: RequestOptions): Promise<ApiAnswer<Body>>;
  /** Every event in the log, oldest first. */
  allEvents(): Promise<RecordedEvent[]>;
  /** Registers a user through the API; returns its id and first token. */
  registerUser(name: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

let counter = 0;

export async function startE2eApp(): Promise<E2eApp> {
  const testDatabase: TestDatabase = await createTestDatabase();
  const database = await openDatabase(
    { databaseUrl: testDatabase.url, appDbPassword: 'app-password-for-tests', dataDir: '/nonexistent' },
    pino({ level: 'silent' }),
  );
  await runMigrations(database.ownerPool, database.owner);
  const eventStore = new PostgresEventStore(database.ownerPool);
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const app: INestApplication = await createApp({
    logger,
    eventStore,
    database,
    operatorToken: OPERATOR_TOKEN,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };

  return {
    url,
    database,
    eventStore,
    logs,
    request,
    allEvents: () => collect(eventStore.readAll()),
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
      await eventStore.close();
      await database.close();
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
