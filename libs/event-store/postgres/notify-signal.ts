import pg from 'pg';

/**
 * Wakes waiters when something they wait for may have happened: a Postgres
 * LISTEN on a NOTIFY channel, with a timer as the fallback for what NOTIFY
 * cannot tell (a lost connection, a notification sent while reconnecting).
 * The live subscriptions of the Postgres event store wait on the channel
 * eventstore.append notifies at commit (the timer also covers an unrelated
 * transaction finishing and so releasing events held back behind it); the
 * API's consistency gate waits on the projections' checkpoint channel. One
 * LISTEN connection serves every waiter of a signal.
 */
export class NotifySignal {
  private waiters = new Set<() => void>();
  /** Counts notifications, so a waiter can tell it missed one while it was reading. */
  private generation = 0;
  private listener: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  /**
   * @param connection settings for the LISTEN connection: its own client,
   * outside the pool, so it takes no pool slot and close() can await its end.
   */
  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly channel: string,
    readonly pollIntervalMs: number,
  ) {}

  /** Take before reading; pass to wait() so a notification that came meanwhile is not lost. */
  get current(): number {
    return this.generation;
  }

  /**
   * Resolves at the first notification after generation `since`, after
   * `timeoutMs` at most, when `abort` fires, or at close. Starts listening on
   * first use.
   */
  async wait(since: number, timeoutMs: number, abort?: AbortSignal): Promise<void> {
    if (this.closed || abort?.aborted || this.generation !== since) return;
    void this.ensureListening();
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        abort?.removeEventListener('abort', wake);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      abort?.addEventListener('abort', wake);
      this.waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.connecting?.catch(() => undefined);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  private wakeAll(): void {
    this.generation++;
    for (const wake of [...this.waiters]) wake();
  }

  private ensureListening(): Promise<void> {
    if (this.listener || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.connection);
    try {
      client.on('notification', () => this.wakeAll());
      // A broken LISTEN connection only costs latency (the timer still polls):
      // drop it and listen again on the next wait. Registered before connect,
      // so a refused connection is not an unhandled 'error'.
      client.on('error', () => this.dropListener(client));
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      if (this.closed) throw new Error('closed while connecting');
      this.listener = client;
    } catch {
      void client.end().catch(() => undefined);
    }
  }

  private dropListener(client: pg.Client): void {
    if (this.listener === client) this.listener = undefined;
    void client.end().catch(() => undefined);
    this.wakeAll();
  }
}
