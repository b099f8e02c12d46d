import net from 'node:net';
import pg from 'pg';
import { ANY, START } from '../../libs/event-store/index.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { isDatabaseUnavailable } from '../../libs/persistence/index.js';
import { collect, newEvents } from './event-fixtures.js';

/**
 * The Postgres event store with its Postgres out of reach: every call a
 * request makes (append, the reads a command loads its stream with, the
 * head) fails with the driver's own error, which isDatabaseUnavailable
 * recognizes, so the HTTP edge answers 503 DATABASE.UNAVAILABLE, not 500
 * (test/runtime/crash-recovery.test.ts shows it against a killed postmaster).
 */
describe.each([
  ['nothing listens on its port', (socket: net.Socket) => socket.destroy(), true],
  ['it cuts every connection', (socket: net.Socket) => socket.destroy(), false],
] as const)('the Postgres event store, when %s', (_case, onConnection, closed) => {
  let server: net.Server;
  let pool: pg.Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    server = net.createServer(onConnection);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    if (closed) await new Promise((resolve) => server.close(resolve));
    pool = new pg.Pool({ host: '127.0.0.1', port, user: 'tenantry', database: 'tenantry' });
    pool.on('error', () => undefined);
    store = new PostgresEventStore(pool, { pollIntervalMs: 60_000 });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  });

  const failureOf = (work: () => Promise<unknown>) =>
    work().then(
      () => {
        throw new Error('it succeeded');
      },
      (error: unknown) => error,
    );

  it.each([
    ['append', () => store.append('chat-1', newEvents(1), ANY)],
    ['readStream', () => collect(store.readStream('chat-1'))],
    ['readAll', () => collect(store.readAll({ after: START }))],
    ['readAll of a prefix', () => collect(store.readAll({ streamPrefix: 'org-1' }))],
    ['headPosition', () => store.headPosition()],
    ['ping', () => store.ping()],
  ])('%s fails with an error that says the database is unavailable', async (_name, work) => {
    expect(isDatabaseUnavailable(await failureOf(work))).toBe(true);
  });
});
