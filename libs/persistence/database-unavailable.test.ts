import net from 'node:net';
import pg from 'pg';
import { isDatabaseUnavailable } from './database-unavailable.js';

/** A Postgres error as pg hands it over: a DatabaseError with its SQLSTATE. */
function databaseError(code: string, message = 'from the server'): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['08000 connection exception', databaseError('08000')],
    ['08003 connection does not exist', databaseError('08003')],
    ['08006 connection failure', databaseError('08006')],
    ['08P01 protocol violation', databaseError('08P01')],
    ['57P01 admin shutdown (a backend terminated, the server stopping)', databaseError('57P01')],
    ['57P02 crash shutdown', databaseError('57P02')],
    ['57P03 cannot connect now (starting up, in recovery)', databaseError('57P03')],
    ['ECONNREFUSED', socketError('ECONNREFUSED')],
    ['ECONNRESET', socketError('ECONNRESET')],
    ['EPIPE', socketError('EPIPE')],
    ['ETIMEDOUT', socketError('ETIMEDOUT')],
    ['pg: Connection terminated', new Error('Connection terminated')],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    [
      'pg: the next query on a client whose connection broke',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    [
      'pg-pool: timeout exceeded when trying to connect',
      new Error('timeout exceeded when trying to connect'),
    ],
    [
      'pg-pool: Connection terminated due to connection timeout',
      new Error('Connection terminated due to connection timeout'),
    ],
    [
      'an AggregateError of refusals (every address of a host name)',
      new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], 'connect failed'),
    ],
    ['a wrapper whose cause is one', new Error('event store unavailable', { cause: databaseError('57P01') })],
    [
      "TypeORM's QueryFailedError (the driver's error in driverError)",
      Object.assign(new Error('query failed'), { driverError: socketError('ECONNRESET') }),
    ],
  ])('%s: unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['23505 unique violation', databaseError('23505')],
    ['22P05 untranslatable character', databaseError('22P05')],
    ['42P01 undefined table', databaseError('42P01')],
    ['57014 query canceled (a statement timeout: ours, not the server away)', databaseError('57014')],
    ['40001 serialization failure', databaseError('40001')],
    ['the event store refusing a revision (ESWEV)', databaseError('ESWEV')],
    ['ENOENT', socketError('ENOENT')],
    ['a domain code', Object.assign(new Error('refused'), { code: 'ORG.NOT_FOUND' })],
    ['a message that only mentions a connection', new Error('the Connection terminated the request')],
    ['pg: a released client used again', new Error('Client was closed and is not queryable')],
    ['a plain error', new Error('boom')],
    ['a wrapper of a plain error', new Error('wrapped', { cause: new Error('boom') })],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    ['undefined', undefined],
  ])('%s: not unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops at a cycle of causes', () => {
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    (first as { cause?: unknown }).cause = second;
    expect(isDatabaseUnavailable(first)).toBe(false);
  });

  describe("recognizes pg's real errors", () => {
    let server: net.Server | undefined;
    afterEach(async () => {
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      server = undefined;
    });

    /** A TCP server doing `onConnection` to each client; its port. */
    async function listen(onConnection: (socket: net.Socket) => void): Promise<number> {
      server = net.createServer(onConnection);
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      return (server.address() as net.AddressInfo).port;
    }

    const failureOf = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => error,
      );

    it('nothing listens on the port', async () => {
      const port = await listen(() => undefined);
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'nobody', database: 'nothing' });
      const error = await failureOf(client.connect());
      expect(error).toMatchObject({ code: 'ECONNREFUSED' });
      expect(isDatabaseUnavailable(error)).toBe(true);
    });

    it('the server closes the connection', async () => {
      const port = await listen((socket) => socket.destroy());
      const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'nobody', database: 'nothing' });
      pool.on('error', () => undefined);
      const error = await failureOf(pool.query('SELECT 1'));
      await pool.end();
      expect(isDatabaseUnavailable(error)).toBe(true);
    });

    it('the server never answers: the pool gives up connecting', async () => {
      const sockets: net.Socket[] = [];
      const port = await listen((socket) => sockets.push(socket));
      const pool = new pg.Pool({
        host: '127.0.0.1',
        port,
        user: 'nobody',
        database: 'nothing',
        connectionTimeoutMillis: 100,
      });
      pool.on('error', () => undefined);
      const error = await failureOf(pool.query('SELECT 1'));
      for (const socket of sockets) socket.destroy();
      await pool.end();
      expect(error).toMatchObject({ message: expect.stringMatching(/timeout/) });
      expect(isDatabaseUnavailable(error)).toBe(true);
    });
  });
});
