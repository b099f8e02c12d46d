import type { Logger } from 'pino';

export interface ConnectionHealthOptions {
  /** How often Postgres is asked while it answers (default 1 s). */
  readonly intervalMs?: number;
  /** How often while it does not (default 250 ms). */
  readonly downIntervalMs?: number;
}

/**
 * Watches whether Postgres answers, and says so in the log on each change:
 * one error line when it stops answering, one info line with the outage's
 * length when it answers again. The process itself never depends on it:
 * pools reopen connections on their own and projection runners retry; this
 * is what an operator reads. A broken connection (a pg client's 'error')
 * makes it look at once rather than at the next tick.
 */
export class ConnectionHealth {
  private downSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private started = false;
  /** A connection broke while a look was under way: look again right after it. */
  private lookAgain = false;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly downIntervalMs: number;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly logger: Logger,
    options: ConnectionHealthOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.downIntervalMs = options.downIntervalMs ?? 250;
  }

  /** Whether the last look found Postgres answering. */
  get up(): boolean {
    return this.downSince === undefined;
  }

  start(): this {
    this.started = true;
    this.schedule(this.intervalMs);
    return this;
  }

  /** A connection broke: look now. */
  connectionFailed(): void {
    if (!this.started || this.stopped) return;
    if (this.checking) this.lookAgain = true;
    else this.schedule(0);
  }

  /** Stops watching (before the pools close, so a shutdown is not reported as an outage). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.checking;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), ms);
    this.timer.unref();
  }

  private check(): Promise<void> {
    this.checking ??= this.look().finally(() => {
      this.checking = undefined;
      const again = this.lookAgain;
      this.lookAgain = false;
      if (!this.stopped) this.schedule(again ? 0 : this.up ? this.intervalMs : this.downIntervalMs);
    });
    return this.checking;
  }

  private async look(): Promise<void> {
    try {
      await this.probe();
    } catch (error) {
      if (this.stopped || this.downSince !== undefined) return;
      this.downSince = Date.now();
      this.logger.error({ err: error }, 'Postgres does not answer: reads and writes fail until it is back');
      return;
    }
    if (this.stopped || this.downSince === undefined) return;
    const downMs = Date.now() - this.downSince;
    this.downSince = undefined;
    this.logger.info({ downMs }, 'Postgres answers again');
  }
}
