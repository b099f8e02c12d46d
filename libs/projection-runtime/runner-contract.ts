import type pg from 'pg';
import type { Logger } from 'pino';
import { type EventStore, type Position } from '../event-store/index.js';
import { type Upcast } from './apply-batch.js';
import { type CheckpointState } from './checkpoint.js';
import { type Projection } from './projection.js';

// What a ProjectionRunner (projection-runner.ts) is given and shows, and the
// applier lock through which other processes and the status see it.

/**
 * - standby: another process applies this projection (or this one cannot
 *   reach Postgres yet); it tries again every `lockRetryMs`.
 * - catching_up / live: this runner applies it; live once the subscription
 *   has delivered everything recorded when it started.
 * - failed: stopped at an event it cannot apply, until support staff skip it.
 * - stopped: not started, or stopped.
 */
export type RunnerState = 'standby' | 'catching_up' | 'live' | 'failed' | 'stopped';

/** What this process knows; the checkpoint row is the truth across processes (status.ts). */
export interface RunnerView {
  readonly name: string;
  readonly state: RunnerState;
  /** The last committed position this runner has seen; null until it first reads the checkpoint. */
  readonly position: Position | null;
  readonly lastError: string | null;
}

/** Reported after each committed batch: what metrics count. */
export interface AppliedBatch {
  readonly name: string;
  readonly count: number;
  readonly lastPosition: Position;
  readonly state: Exclude<CheckpointState, 'failed'>;
  /**
   * The projection wrote in this batch, in a transaction with the
   * checkpoint; false: it wrote nothing, and the checkpoint moved in a
   * statement of its own (lazy-batch-transaction.ts).
   */
  readonly wrote: boolean;
}

export interface RetryOptions {
  /** Attempts at a batch before narrowing it down to the failing event. */
  readonly attempts?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface ProjectionRunnerOptions {
  readonly projection: Projection;
  readonly eventStore: EventStore;
  /** Owner role: installs the projection; its connection settings open the applier connection. */
  readonly ownerPool: pg.Pool;
  readonly logger: Logger;
  readonly upcast: Upcast;
  /** Most events per transaction (default 500). */
  readonly batchSize?: number;
  /** Backoff of a failing batch (defaults: 5 attempts, 100 ms doubling up to 5 s). */
  readonly retry?: RetryOptions;
  /** How often a standby runner asks for the lock, and a failed one rereads its row (default 1 s). */
  readonly lockRetryMs?: number;
  /** Called after each committed batch; must not throw (it is logged and ignored if it does). */
  readonly onBatch?: (batch: AppliedBatch) => void;
  /** A catch-up of at least this many events ends with ANALYZE of the tables (default 10,000). */
  readonly analyzeAfterCatchUpEvents?: number;
}

/** The text whose `hashtext` keys a projection's applier lock (one key per projection name). */
export function applierLockName(projectionName: string): string {
  return `tenantry.projection:${projectionName}`;
}

/**
 * Whether some session holds the applier lock named `$1` in this database:
 * true when a runner is applying the projection, whichever process it is in.
 */
export const APPLIER_LOCK_HELD_SQL = `
  SELECT EXISTS (
    SELECT 1 FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND ((classid::bigint << 32) | objid::bigint) = hashtext($1)::bigint
  ) AS held`;

/** The checkpoint row was not where the lock holder left it: something outside the runner moved it. */
export class CheckpointMovedElsewhere extends Error {
  constructor(name: string, expected: Position) {
    super(`the checkpoint of ${name} is no longer at ${expected}`);
    this.name = 'CheckpointMovedElsewhere';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
