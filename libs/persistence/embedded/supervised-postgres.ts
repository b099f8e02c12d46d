import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectionUrl,
  EMBEDDED_SUPERUSER,
  EmbeddedPostgres,
  type EmbeddedPostgresOptions,
} from './embedded-postgres.js';

export interface SupervisedPostgresOptions extends Omit<
  EmbeddedPostgresOptions,
  'requiredPort' | 'onUnexpectedExit'
> {
  /** Runs after every start, the first and each restart (the launcher records the postmaster). */
  readonly onStarted?: (server: EmbeddedPostgres) => Promise<void>;
  /** Delay before the first restart attempt, doubling up to `maxRestartDelayMs`. */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
}

const RESTART_DELAY_MS = 200;
const MAX_RESTART_DELAY_MS = 5_000;

/**
 * The embedded Postgres, started again when it dies (DESIGN.md §3: nobody
 * should have to act). A postmaster that exits without being told to (a
 * crash, kill -9, the OOM killer) is restarted on the same port, since the
 * pools' connection strings name it, after 200 ms, then with the delay
 * doubling up to 5 s for as long as it fails: the old backends may still
 * hold the shared memory for a moment, or the port may be taken. Postgres
 * recovers from its WAL at start, so only uncommitted transactions are lost,
 * and those were never acknowledged. A clean exit (code 0) is a shutdown
 * someone asked for (pg_ctl stop, a Ctrl-C reaching the process group): it
 * is logged, and not undone.
 */
export class SupervisedPostgres {
  private server: EmbeddedPostgres;
  private readonly stopping = new AbortController();
  private restarting: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly options: SupervisedPostgresOptions,
    first: EmbeddedPostgres,
  ) {
    this.server = first;
  }

  static async start(options: SupervisedPostgresOptions): Promise<SupervisedPostgres> {
    const early: { supervisor?: SupervisedPostgres } = {};
    const first = await EmbeddedPostgres.start({
      ...options,
      onUnexpectedExit: (exit) => early.supervisor?.onExit(exit),
    });
    const supervisor = new SupervisedPostgres(options, first);
    early.supervisor = supervisor;
    try {
      await options.onStarted?.(first);
    } catch (error) {
      await supervisor.stop();
      throw error;
    }
    // It may have died between its start and here: not seen by onExit, which had no supervisor yet.
    if (first.exited) supervisor.onExit({ code: null, signal: null });
    return supervisor;
  }

  get port(): number {
    return this.server.port;
  }

  /** The postmaster running now (it changes at each restart). */
  get pid(): number {
    return this.server.pid;
  }

  superuserUrl(database = 'postgres'): string {
    return connectionUrl(EMBEDDED_SUPERUSER, this.options.superuserPassword, this.port, database);
  }

  /** Stops supervising, then stops Postgres. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping.abort();
      await this.restarting;
      await this.server.stop();
    })();
    return this.stopped;
  }

  private onExit(exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    const log = this.options.logger;
    if (this.stopping.signal.aborted || this.restarting) return;
    if (exit.code === 0) {
      log.warn('embedded Postgres was shut down by someone else: not restarting it');
      return;
    }
    log.error(
      { code: exit.code, signal: exit.signal, postmasterPid: this.server.pid },
      'embedded Postgres exited unexpectedly: restarting it',
    );
    this.restarting = this.restart().finally(() => {
      this.restarting = undefined;
      // Died again while being recorded: that exit was ignored, so look now.
      if (!this.stopping.signal.aborted && this.server.exited) this.onExit({ code: null, signal: null });
    });
  }

  private async restart(): Promise<void> {
    const log = this.options.logger;
    const since = Date.now();
    const port = this.server.port;
    const maxDelay = this.options.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS;
    let delay = this.options.restartDelayMs ?? RESTART_DELAY_MS;
    for (let attempt = 1; ; attempt++) {
      await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopping.signal.aborted) return;
      let server: EmbeddedPostgres;
      try {
        server = await EmbeddedPostgres.start({
          ...this.options,
          requiredPort: port,
          onUnexpectedExit: (exit) => this.onExit(exit),
        });
      } catch (error) {
        delay = Math.min(delay * 2, maxDelay);
        log.warn({ err: error, attempt, retryInMs: delay }, 'embedded Postgres did not restart yet');
        continue;
      }
      this.server = server;
      if (this.stopping.signal.aborted) return; // stop() stops it, after this returns
      await this.options.onStarted?.(server).catch((error: unknown) => {
        log.warn({ err: error }, 'could not record the restarted embedded Postgres');
      });
      log.info(
        { attempt, downMs: Date.now() - since, port, postmasterPid: server.pid },
        'embedded Postgres restarted',
      );
      return;
    }
  }
}
