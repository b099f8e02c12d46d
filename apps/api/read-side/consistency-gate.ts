import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type pg from 'pg';
import { isPosition, type Position } from '../../../libs/event-store/index.js';
import { NotifySignal } from '../../../libs/event-store/postgres/notify-signal.js';
import { CHECKPOINT_CHANNEL, readCheckpoints } from '../../../libs/projection-runtime/index.js';
import { ProblemError } from '../http/problem-details.js';
import { READ_SIDE, type ReadSide } from './read-side.js';

export const CONSISTENCY_HEADER = 'x-consistency-token';

/**
 * How long a waiting request sleeps before it looks at the checkpoints again
 * when no notification woke it: the fallback for a notification lost with
 * its LISTEN connection. Every move of a checkpoint notifies.
 */
const FALLBACK_POLL_MS = 50;

interface CheckpointSnapshot {
  /** The lowest checkpoint of the projections the API reads; null while one is not installed. */
  readonly lowest: Position | null;
  /** Projections in state failed, with their checkpoint: they will not move on their own. */
  readonly failed: ReadonlyArray<{ readonly name: string; readonly position: Position }>;
}

/** Requests that may wait for a consistency token at once, by default; more answer 503 at once. */
export const DEFAULT_MAX_WAITING = 256;

/**
 * Read-your-writes (DESIGN.md §7): a request carrying `X-Consistency-Token`
 * (a position a command answered) waits until every projection the API
 * reads has reached that position, at most `consistencyWaitMs` (default 5 s),
 * else answers 503 with `Retry-After`. Only authenticated requests get here
 * (BearerAuthGuard authenticates first), and at most `maxWaiting` of them
 * wait at a time: beyond that a request that would have to wait answers 503
 * `CONSISTENCY.BUSY` with `Retry-After` at once, so waiting requests cannot
 * pile up without bound.
 *
 * It waits for all the API's projections rather than only those one route
 * reads: simpler, and a token means "everything I did is visible".
 * Checkpoints only move forward, so the highest lowest-checkpoint seen is
 * kept and most requests pass without a query.
 *
 * Waiting requests LISTEN rather than poll: libs/projection-runtime NOTIFYs
 * CHECKPOINT_CHANNEL in each transaction that moves a checkpoint or marks it
 * failed (and at rebuilds, retries and skips), so a waiter reads the
 * checkpoints again as soon as one may have reached its position. One LISTEN
 * connection, outside the pool, opened at the first wait, serves them all; a
 * notification is only a hint to read again, never taken as an answer.
 */
@Injectable()
export class ConsistencyGate implements OnModuleDestroy {
  private reached: Position | null = null;
  private inFlight: Promise<CheckpointSnapshot> | null = null;
  private waiting = 0;
  private readonly checkpointMoved: NotifySignal;

  constructor(@Inject(READ_SIDE) private readonly readSide: ReadSide) {
    this.checkpointMoved = new NotifySignal(readSide.appPool.options, CHECKPOINT_CHANNEL, FALLBACK_POLL_MS);
  }

  /** Ends the LISTEN connection when the app closes. */
  async onModuleDestroy(): Promise<void> {
    await this.checkpointMoved.close();
  }

  /** The position a header names; undefined without the header; 400 naming the header when malformed. */
  parse(header: unknown): Position | undefined {
    if (header === undefined) return undefined;
    if (typeof header !== 'string' || !isPosition(header)) {
      throw ProblemError.of(400, 'REQUEST.INVALID_CONSISTENCY_TOKEN', 'X-Consistency-Token is not a token', [
        { field: 'X-Consistency-Token', message: 'must be a consistency token a command answered' },
      ]);
    }
    return header;
  }

  /** Whether every projection is known to have reached the position already (no query). */
  hasReached(position: Position): boolean {
    return this.reached !== null && this.reached >= position;
  }

  /** Waits until every projection has reached the position; 503 when it takes too long or too many wait. */
  async waitFor(position: Position): Promise<void> {
    if (this.hasReached(position)) return;
    if (this.waiting >= this.readSide.maxWaiting) {
      throw ProblemError.of(
        503,
        'CONSISTENCY.BUSY',
        'too many requests are waiting for their consistency token; retry shortly',
      ).withHeaders({ 'Retry-After': '1' });
    }
    this.waiting++;
    try {
      await this.poll(position);
    } finally {
      this.waiting--;
    }
  }

  private async poll(position: Position): Promise<void> {
    const deadline = Date.now() + this.readSide.consistencyWaitMs;
    for (;;) {
      if (this.hasReached(position)) return;
      // Taken before reading: a notification that comes during the read wakes the wait below at once.
      const since = this.checkpointMoved.current;
      const snapshot = await this.snapshot();
      if (snapshot.lowest !== null && snapshot.lowest >= position) return;
      const stuck = snapshot.failed.find((projection) => projection.position < position);
      if (stuck) throw notYet(`projection ${stuck.name} has failed before reaching this position`);
      const left = deadline - Date.now();
      if (left <= 0) throw notYet('the read models have not reached this position yet');
      await this.checkpointMoved.wait(since, Math.min(FALLBACK_POLL_MS, left));
    }
  }

  /** One checkpoint query at a time, shared by every waiting request. */
  private snapshot(): Promise<CheckpointSnapshot> {
    this.inFlight ??= snapshotOf(this.readSide.appPool, this.readSide.projectionNames)
      .then((snapshot) => {
        if (snapshot.lowest !== null && (this.reached === null || snapshot.lowest > this.reached)) {
          this.reached = snapshot.lowest;
        }
        return snapshot;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}

/** The lowest checkpoint of these projections, and those that failed, from one checkpoint query. */
async function snapshotOf(pool: pg.Pool, names: readonly string[]): Promise<CheckpointSnapshot> {
  const checkpoints = [...(await readCheckpoints(pool, names)).values()];
  const lowest =
    names.length === 0 || checkpoints.length < names.length
      ? null
      : checkpoints.reduce(
          (low, { position }) => (position < low ? position : low),
          checkpoints[0]!.position,
        );
  const failed = checkpoints
    .filter((checkpoint) => checkpoint.state === 'failed')
    .map(({ name, position }) => ({ name, position }));
  return { lowest, failed };
}

function notYet(detail: string): ProblemError {
  return ProblemError.of(503, 'CONSISTENCY.NOT_YET', detail, undefined).withHeaders({ 'Retry-After': '1' });
}
