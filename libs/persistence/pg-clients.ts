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
