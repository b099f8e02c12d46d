import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';
import { type Position, type RecordedEvent } from '../event-store/index.js';
import { commitBatch, commitFailure, type RunnerSession } from './batch-commit.js';
import { readCheckpoint, recordRetry, setCheckpointState } from './checkpoint.js';
import { ApplierConnection } from './applier-connection.js';
import { installOrBuild } from './install-or-build.js';
import { type Projection } from './projection.js';
import { ANALYZE_AFTER_CATCH_UP_EVENTS, analyzeTables } from './statistics.js';
import { SubscriptionBatches } from './subscription-batches.js';
import {
  type AppliedBatch,
  applierLockName,
  CheckpointMovedElsewhere,
  errorMessage,
  type ProjectionRunnerOptions,
  type RunnerState,
  type RunnerView,
} from './runner-contract.js';

export * from './runner-contract.js';

const DEFAULTS = {
  batchSize: 500,
  attempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 5000,
  lockRetryMs: 1000,
};

/**
 * Applies one projection (DESIGN.md §7), in whichever process of those
 * running it holds its applier lock; the others wait in `standby`.
 *
 * The lock is a session advisory lock on a connection this runner opens for
 * itself, and that same connection runs every batch transaction. So the
 * lock and the right to move the checkpoint cannot part: if the process
 * dies or its connection breaks, Postgres rolls back the open batch and
 * releases the lock together, and the next holder starts from the last
 * committed checkpoint. Nothing is applied twice and nothing is lost.
 *
 * The connection is not taken from `ownerPool`: a runner holds it for as
 * long as it runs, and one held per projection would starve the pool that
 * the event store and the API share.
 *
 * See README.md for the batch, retry and failure rules.
 */
export class ProjectionRunner {
  private readonly projection: Projection;
  private readonly name: string;
  private readonly log: Logger;
  private readonly settings: typeof DEFAULTS;
  private readonly stopping = new AbortController();
  private view: RunnerView;
  /** The checkpoint as committed, while this runner holds the lock. */
  private committed: Position | undefined;
  /** The checkpoint row's generation this session read: a rebuild switched in since stops the session. */
  private generation = 0;
  private installed = false;
  private loop: Promise<void> | undefined;
  private lastProblem: string | undefined;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.projection = options.projection;
    this.name = options.projection.name;
    this.log = options.logger.child({ component: 'projector', projection: this.name });
    this.settings = {
      batchSize: options.batchSize ?? DEFAULTS.batchSize,
      attempts: Math.max(1, options.retry?.attempts ?? DEFAULTS.attempts),
      initialDelayMs: options.retry?.initialDelayMs ?? DEFAULTS.initialDelayMs,
      maxDelayMs: options.retry?.maxDelayMs ?? DEFAULTS.maxDelayMs,
      lockRetryMs: options.lockRetryMs ?? DEFAULTS.lockRetryMs,
    };
    this.view = { name: this.name, state: 'stopped', position: null, lastError: null };
  }

  /** Starts following the log in the background. A runner starts once. */
  start(): void {
    if (this.loop || this.stopped) throw new Error(`projection runner ${this.name} was already started`);
    this.setState('standby');
    this.loop = this.run();
  }

  /**
   * Finishes the batch in flight (or abandons one still being collected),
   * closes the subscription and the connection, which releases the lock.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    this.setState('stopped');
  }

  state(): RunnerView {
    return this.view;
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    let connection: ApplierConnection | undefined;
    while (!this.stopped) {
      try {
        if (!this.installed) {
          await installOrBuild(this.options, this.log, this.stopping.signal);
          this.installed = true;
        }
        if (connection?.lost) {
          await connection.close();
          connection = undefined;
        }
        // Asynchronous commits (applier-connection.ts): a crash takes a batch's rows and
        // checkpoint back together. In a trace of the B6 load at 100 commands/s, the flush was
        // most of what a batch waited for.
        connection ??= await ApplierConnection.open(this.connectionConfig(), this.log, {
          pipeline: true,
          asynchronousCommit: true,
        });
        if (await connection.tryLock(applierLockName(this.name))) {
          this.lastProblem = undefined;
          try {
            await this.whileActive(connection);
          } finally {
            // Ending the session releases the lock, whatever state it is in.
            await connection.close();
            connection = undefined;
            this.committed = undefined;
            if (!this.stopped) this.setState('standby');
          }
        } else {
          this.setState('standby');
        }
      } catch (error) {
        if (error instanceof CheckpointMovedElsewhere) {
          this.log.info(
            { reason: error.message },
            'checkpoint moved by a rebuild or a skip: resuming from it',
          );
        } else {
          this.problem(error);
        }
        await connection?.close();
        connection = undefined;
        this.setState('standby');
      }
      await this.pause(this.settings.lockRetryMs);
    }
    await connection?.close();
  }

  /** Holds the lock until stopped or the connection breaks: follows the log, or waits while failed. */
  private async whileActive(connection: ApplierConnection): Promise<void> {
    this.log.info('took the applier lock');
    while (!this.stopped && !connection.lost) {
      const checkpoint = await readCheckpoint(connection.client, this.name);
      if (!checkpoint) {
        this.installed = false;
        throw new Error(`projection ${this.name} has no checkpoint row`);
      }
      if (checkpoint.version !== this.projection.version) {
        // A rebuild by another version switched in: install decides (rebuild, or refuse a downgrade).
        this.installed = false;
        throw new Error(
          `projection ${this.name} is at version ${checkpoint.version}, this code is version ${this.projection.version}`,
        );
      }
      this.committed = checkpoint.position;
      this.generation = checkpoint.generation;
      this.view = { ...this.view, position: checkpoint.position, lastError: checkpoint.lastError };
      if (checkpoint.state === 'failed') {
        // Found failed (this runner did not just fail it, which it logged): say why it idles.
        if (this.view.state !== 'failed') {
          this.log.warn(
            { failedPosition: checkpoint.failedPosition, error: checkpoint.lastError },
            'projection is failed: waiting for a skip',
          );
        }
        this.setState('failed');
        await this.pause(this.settings.lockRetryMs, connection.lostSignal);
        continue;
      }
      if (this.view.state === 'failed')
        this.log.info({ position: checkpoint.position }, 'projection resumes');
      // Live is what this runner has seen, not what the last one did: say so until caught up.
      await setCheckpointState(connection.client, this.name, checkpoint.position, 'catching_up');
      this.setState('catching_up');
      await this.follow(connection, checkpoint.position);
      // Back here after failing (the row now says so), or if a subscription ever ended by itself.
      await this.pause(this.settings.lockRetryMs, connection.lostSignal);
    }
  }

  /**
   * Subscribes after the checkpoint and commits batch after batch. Returns
   * when stopped, when the connection breaks, or after marking the
   * projection failed; throws on anything else (the session then restarts).
   */
  private async follow(connection: ApplierConnection, from: Position): Promise<void> {
    if (this.stopped) return;
    const subscription = this.options.eventStore.subscribeToAll({ after: from });
    const interrupt = AbortSignal.any([this.stopping.signal, connection.lostSignal]);
    const close = () => void subscription.close().catch(() => undefined);
    interrupt.addEventListener('abort', close);
    try {
      const batches = new SubscriptionBatches(subscription, this.settings.batchSize);
      let caughtUpEvents = 0;
      for (;;) {
        const batch = await batches.next();
        if (!batch || interrupt.aborted) return;
        const state = batch.caughtUp || this.view.state === 'live' ? 'live' : 'catching_up';
        if (batch.events.length > 0) {
          const outcome = await this.applyWithRetries(connection, batch.events, state, interrupt);
          if (outcome !== 'applied') return;
          if (this.view.state !== 'live') caughtUpEvents += batch.events.length;
        } else {
          await setCheckpointState(connection.client, this.name, this.committed!, 'live');
        }
        if (state === 'live' && this.view.state !== 'live') {
          this.log.info({ position: this.committed }, 'caught up: live');
          this.setState('live');
          const analyzeAfter = this.options.analyzeAfterCatchUpEvents ?? ANALYZE_AFTER_CATCH_UP_EVENTS;
          if (caughtUpEvents >= analyzeAfter)
            await analyzeTables(connection.client, this.projection.tables, this.log);
        }
      }
    } finally {
      interrupt.removeEventListener('abort', close);
      await subscription.close().catch(() => undefined);
    }
  }

  /**
   * Commits the batch, retrying with backoff; once the attempts are spent,
   * commits its events one by one up to the first that fails and marks the
   * projection failed there. Never moves past an event it could not apply.
   */
  private async applyWithRetries(
    connection: ApplierConnection,
    events: readonly RecordedEvent[],
    state: AppliedBatch['state'],
    interrupt: AbortSignal,
  ): Promise<'applied' | 'failed' | 'interrupted'> {
    let delay = this.settings.initialDelayMs;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.settings.attempts; attempt++) {
      try {
        await this.commit(connection, events, state);
        return 'applied';
      } catch (error) {
        this.giveUpUnlessRetryable(connection, error);
        lastError = error;
      }
      const message = errorMessage(lastError);
      this.view = { ...this.view, lastError: message };
      if (attempt === this.settings.attempts) break;
      this.log.warn(
        { err: lastError, attempt, of: this.settings.attempts, retryInMs: delay, events: events.length },
        'batch failed: retrying',
      );
      await recordRetry(connection.client, this.name, attempt, message);
      await this.pause(delay, interrupt);
      if (interrupt.aborted) return 'interrupted';
      delay = Math.min(delay * 2, this.settings.maxDelayMs);
    }

    // The batch keeps failing: find the event, keeping every event before it.
    if (events.length > 1) {
      for (const event of events) {
        try {
          await this.commit(connection, [event], state);
        } catch (error) {
          this.giveUpUnlessRetryable(connection, error);
          await this.fail(connection, event, error);
          return 'failed';
        }
      }
      return 'applied';
    }
    await this.fail(connection, events[0]!, lastError);
    return 'failed';
  }

  /** Commits the batch (batch-commit.ts) and reports it. */
  private async commit(
    connection: ApplierConnection,
    events: readonly RecordedEvent[],
    state: AppliedBatch['state'],
  ): Promise<void> {
    const wrote = await commitBatch(connection.client, this.session(), events, state);
    const last = events.at(-1)!;
    this.committed = last.position;
    this.view = { ...this.view, position: last.position, lastError: null };
    this.log.debug({ events: events.length, position: last.position, state, wrote }, 'batch committed');
    try {
      this.options.onBatch?.({
        name: this.name,
        count: events.length,
        lastPosition: last.position,
        state,
        wrote,
      });
    } catch (error) {
      this.log.warn({ err: error }, 'onBatch callback failed');
    }
  }

  /**
   * After a failed attempt (rolled back already): rethrows, ending the
   * session, when the connection is gone, since then the lock is too, and
   * when the checkpoint moved under us: neither is the projection's fault,
   * nor retried as such.
   */
  private giveUpUnlessRetryable(connection: ApplierConnection, error: unknown): void {
    if (connection.lost) throw error;
    if (error instanceof CheckpointMovedElsewhere) throw error;
  }

  private async fail(connection: ApplierConnection, event: RecordedEvent, error: unknown): Promise<void> {
    const message = `${event.type}: ${errorMessage(error)}`;
    await commitFailure(connection.client, this.session(), {
      name: this.name,
      position: event.position,
      eventType: event.type,
      eventId: event.metadata.eventId,
      error: message,
      retries: this.settings.attempts,
    });
    this.view = { ...this.view, lastError: message };
    this.setState('failed');
    this.log.error(
      { err: error, failedPosition: event.position, eventType: event.type, eventId: event.metadata.eventId },
      'projection failed: it stopped before an event it cannot apply and waits for a fix or a skip',
    );
  }

  /** What a batch of this session commits against. */
  private session(): RunnerSession {
    return {
      projection: this.projection,
      upcast: this.options.upcast,
      generation: this.generation,
      committed: this.committed!,
    };
  }

  private setState(state: RunnerState): void {
    this.view = { ...this.view, state };
  }

  /** Logs a problem of the loop (Postgres unreachable, a version mismatch), once per distinct message. */
  private problem(error: unknown): void {
    const message = errorMessage(error);
    this.view = { ...this.view, lastError: message };
    if (message === this.lastProblem) {
      this.log.debug({ err: error }, 'projection runner problem persists');
    } else {
      this.lastProblem = message;
      this.log.warn({ err: error, retryInMs: this.settings.lockRetryMs }, 'projection runner problem');
    }
  }

  /** Waits `ms`, or less when stopped or when `also` aborts. */
  private async pause(ms: number, also?: AbortSignal): Promise<void> {
    const signal = also ? AbortSignal.any([this.stopping.signal, also]) : this.stopping.signal;
    await sleep(ms, undefined, { signal }).catch(() => undefined);
  }

  private connectionConfig(): pg.ClientConfig {
    return { ...this.options.ownerPool.options, application_name: `tenantry-projection:${this.name}` };
  }
}
