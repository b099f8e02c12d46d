import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * A pg Client class whose instances can never crash the process. A pg
 * Client emits 'error' when its connection breaks while no query runs on
 * it (Postgres restarting, a terminated backend: 57P01), and an 'error'
 * event nobody listens to is thrown by Node. Pools listen only while a
 * client is idle in them, so a client checked out between two queries (a
 * transaction awaiting the code that runs it) had no listener. Instances of
 * this class listen from birth; the code using a client still learns of
 * the break, since its next query fails.
 *
 * Every pool and data source of libs/persistence is built on it; the
 * clients opened by hand (the event store's LISTEN connection, a
 * projection runner's applier connection) register their own listener
 * before connecting.
 */
export function guardedClientClass(onError: (error: Error) => void): typeof pg.Client {
  return class GuardedClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', onError);
    }
  };
}

/**
 * A client class whose instances {@link coalesceWrites}: for pipelining
 * pools, whose callers send statements without awaiting each other.
 */
export function coalescingClientClass(Base: typeof pg.Client): typeof pg.Client {
  return class CoalescingClient extends Base {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      coalesceWrites(this);
    }
  };
}

/**
 * Makes the statements issued on `client` in one tick leave in one socket
 * write. pg writes each statement's messages with one `writev` (it corks
 * the socket around them), so statements sent without awaiting each other
 * (a request's read scope opens with five, a projection batch issues many)
 * cost one system call each; on loopback TCP each such call also runs the
 * kernel's delivery to Postgres. In a CPU profile of the B6 load a fifth of
 * the service process was in `writev`. Here the first statement of a tick
 * corks the socket and a `process.nextTick` uncorks it: that runs before
 * the event loop polls for I/O, so no statement waits for a later one, and
 * the statements of the tick go out together. pg's own cork and uncork nest
 * inside (a socket counts its corks).
 *
 * Only pipelining clients use it (the app pool, the projection runners'
 * sessions): a client that awaits each statement has one per tick anyway,
 * and on the write paths (appends, B1 and B2) a quick A/B on a noisy
 * machine leaned slightly against it.
 */
export function coalesceWrites(client: pg.Client): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let corked = false;
  client.query = ((...args: unknown[]) => {
    if (!corked) {
      const socket = client.connection.stream;
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return query(...args);
  }) as typeof client.query;
}

/** Statement names by text; past this many distinct texts, new ones go unnamed (planned each time). */
const MAX_PREPARED_TEXTS = 500;

/**
 * A pg Client class whose read statements (SELECT and WITH, the app role's
 * queries) are prepared once per connection and then only bound and
 * executed: each is sent with a name derived from its text, so Postgres
 * parses and plans it the first time a connection runs it, not on every
 * request. A read request runs six or seven statements, and planning them
 * (row-level security included) was most of what Postgres spent on it.
 *
 * Plans follow the tables: a blue/green switch (libs/projection-runtime
 * rebuild.ts) invalidates them, and Postgres plans again from the text, so
 * a prepared statement reads the switched-in tables.
 */
export function preparingClientClass(Base: typeof pg.Client): typeof pg.Client {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED_TEXTS && /^\s*(select|with)\b/i.test(text)) {
      name = `tenantry_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  return class PreparingClient extends Base {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      const query = this.query.bind(this) as (...args: unknown[]) => unknown;
      this.query = ((config: unknown, ...rest: unknown[]) => {
        if (typeof config !== 'string') return query(config, ...rest);
        const name = nameOf(config);
        if (name === undefined) return query(config, ...rest);
        const [values, callback] = typeof rest[0] === 'function' ? [undefined, rest[0]] : rest;
        return callback === undefined
          ? query({ name, text: config, values })
          : query({ name, text: config, values }, callback);
      }) as typeof this.query;
    }
  };
}
