import pg from 'pg';
import { EVENT_STORE_NOTIFY_CHANNEL } from './schema.js';

/**
 * Wakes live subscriptions when events may have been appended: a Postgres
 * LISTEN on the channel that eventstore.append notifies at commit, with a
 * timer as the fallback for what NOTIFY cannot tell (a lost connection, or an
 * unrelated transaction finishing and so releasing events held back behind
 * it). One LISTEN connection serves every subscription of the store.
 */
export class AppendSignal {
  private waiters = new Set<() => void>();
  /** Counts notifications, so a waiter can tell it missed one while it was reading. */
  private generation = 0;
  private listener: pg.Client | pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    readonly pollIntervalMs: number,
    private readonly listenConnectionString?: string,
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
    if (!listener) return;
    if ('release' in listener) listener.release(true);
    else await listener.end().catch(() => undefined);
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
    let client: pg.Client | pg.PoolClient | undefined;
    try {
      if (this.listenConnectionString) {
        client = new pg.Client({ connectionString: this.listenConnectionString });
        await client.connect();
      } else {
        client = await this.pool.connect();
      }
      client.on('notification', () => this.wakeAll());
      // A broken LISTEN connection only costs latency (the timer still polls);
      // drop it and listen again on the next wait.
      client.on('error', () => this.dropListener(client!));
      await client.query(`LISTEN ${EVENT_STORE_NOTIFY_CHANNEL}`);
      if (this.closed) throw new Error('closed while connecting');
      this.listener = client;
    } catch {
      if (client) this.dropClient(client);
    }
  }

  private dropListener(client: pg.Client | pg.PoolClient): void {
    if (this.listener === client) this.listener = undefined;
    this.dropClient(client);
    this.wakeAll();
  }

  private dropClient(client: pg.Client | pg.PoolClient): void {
    if ('release' in client) client.release(true);
    else void client.end().catch(() => undefined);
  }
}
