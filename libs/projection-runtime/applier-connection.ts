import pg from 'pg';
import type { Logger } from 'pino';
import { coalesceWrites } from '../persistence/index.js';

/** The runner's own Postgres session: it holds the applier lock and runs every batch. */
export class ApplierConnection {
  private readonly lostController = new AbortController();

  private constructor(readonly client: pg.Client) {}

  /**
   * With `pipeline`, statements issued without awaiting each other leave
   * together (pg's pipeline mode): a batch's tenant and statements share
   * round trips. Such a session cannot run a multi-statement string (DDL).
   *
   * With `asynchronousCommit`, a COMMIT returns before its WAL reaches the
   * disk (`synchronous_commit = off`). Fit for a live projection's batches
   * only: their rows and checkpoint commit together, so a Postgres crash
   * can only take the last few batches back whole, rows with checkpoint,
   * and the runner applies them again from the log, which itself commits
   * durably. Nothing is applied twice or lost. Whatever trusts a checkpoint
   * must read it from Postgres in the session it then reads in
   * (apps/api ConsistencyGate.confirmIn), never keep it: a checkpoint seen
   * before a crash may go back.
   */
  static async open(
    config: pg.ClientConfig,
    log: Logger,
    options: { readonly pipeline?: boolean; readonly asynchronousCommit?: boolean } = {},
  ): Promise<ApplierConnection> {
    const client = new pg.Client({
      ...config,
      ...(options.pipeline ? { pipeline: true } : {}),
      ...(options.asynchronousCommit
        ? { options: [config.options, '-c synchronous_commit=off'].filter(Boolean).join(' ') }
        : {}),
    });
    if (options.pipeline) coalesceWrites(client);
    const connection = new ApplierConnection(client);
    // Registered before connecting: a broken connection must never be an unhandled 'error'.
    client.on('error', (error) => {
      log.warn({ err: error }, 'applier connection failed');
      connection.lostController.abort();
    });
    client.on('end', () => connection.lostController.abort());
    try {
      await client.connect();
    } catch (error) {
      await connection.close();
      throw error;
    }
    return connection;
  }

  get lost(): boolean {
    return this.lostController.signal.aborted;
  }

  /** Aborts when the session ends: the lock is gone with it. */
  get lostSignal(): AbortSignal {
    return this.lostController.signal;
  }

  async tryLock(name: string): Promise<boolean> {
    const { rows } = await this.client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
      [name],
    );
    return rows[0]!.locked;
  }

  /** Ends the session; on a healthy one, unlocks first, so the lock is free when this returns. */
  async close(): Promise<void> {
    if (!this.lost) await this.client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    this.lostController.abort();
    await this.client.end().catch(() => undefined);
  }
}
