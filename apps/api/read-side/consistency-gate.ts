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

/**
 * Which projections a request reads, for its consistency token: `routes`,
 * every projection but those only the audit routes read
 * (ReadSide.auditOnlyProjectionNames); `audit`, every one.
 */
export type ProjectionsRead = 'routes' | 'audit';

interface CheckpointSnapshot {
  /** Each installed projection's checkpoint. */
  readonly positions: ReadonlyMap<string, Position>;
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
 * It waits for the projections the request reads (DESIGN.md §7): the audit
 * routes for every one; every other route for all but those only the audit
 * routes read (acl-history), so a lagging or failed audit history never
 * holds up, or fails, a read of chats and messages. Within that, not per
 * route: a token means "everything I did is visible". Checkpoints only move
 * forward, so the highest lowest-checkpoint seen is kept for each set and
 * most requests pass without a query.
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
  private readonly projections: Readonly<Record<ProjectionsRead, readonly string[]>>;
  private readonly reached: Record<ProjectionsRead, Position | null> = { routes: null, audit: null };
  private inFlight: Promise<CheckpointSnapshot> | null = null;
  private waiting = 0;
  private readonly checkpointMoved: NotifySignal;

  constructor(@Inject(READ_SIDE) private readonly readSide: ReadSide) {
    this.checkpointMoved = new NotifySignal(readSide.appPool.options, CHECKPOINT_CHANNEL, FALLBACK_POLL_MS);
    const auditOnly = new Set(readSide.auditOnlyProjectionNames);
    this.projections = {
      routes: readSide.projectionNames.filter((name) => !auditOnly.has(name)),
      audit: readSide.projectionNames,
    };
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

  /** Whether the projections read are known to have reached the position already (no query). */
  hasReached(position: Position, reads: ProjectionsRead = 'routes'): boolean {
    const reached = this.reached[reads];
    return reached !== null && reached >= position;
  }

  /** Waits until the projections read have reached the position; 503 when it takes too long or too many wait. */
  async waitFor(position: Position, reads: ProjectionsRead = 'routes'): Promise<void> {
    if (this.hasReached(position, reads)) return;
    if (this.waiting >= this.readSide.maxWaiting) {
      throw ProblemError.of(
        503,
        'CONSISTENCY.BUSY',
        'too many requests are waiting for their consistency token; retry shortly',
      ).withHeaders({ 'Retry-After': '1' });
    }
    this.waiting++;
    try {
      await this.poll(position, reads);
    } finally {
      this.waiting--;
    }
  }

  private async poll(position: Position, reads: ProjectionsRead): Promise<void> {
    const deadline = Date.now() + this.readSide.consistencyWaitMs;
    const names = new Set(this.projections[reads]);
    for (;;) {
      if (this.hasReached(position, reads)) return;
      // Taken before reading: a notification that comes during the read wakes the wait below at once.
      const since = this.checkpointMoved.current;
      const snapshot = await this.snapshot();
      if (this.hasReached(position, reads)) return;
      const stuck = snapshot.failed.find(
        (projection) => names.has(projection.name) && projection.position < position,
      );
      if (stuck) throw notYet(`projection ${stuck.name} has failed before reaching this position`);
      const left = deadline - Date.now();
      if (left <= 0) throw notYet('the read models have not reached this position yet');
      await this.checkpointMoved.wait(since, Math.min(FALLBACK_POLL_MS, left));
    }
  }

  /** One checkpoint query at a time, shared by every waiting request; moves `reached` forward. */
  private snapshot(): Promise<CheckpointSnapshot> {
    this.inFlight ??= snapshotOf(this.readSide.appPool, this.readSide.projectionNames)
      .then((snapshot) => {
        for (const reads of ['routes', 'audit'] as const) {
          const lowest = lowestOf(snapshot, this.projections[reads]);
          const reached = this.reached[reads];
          if (lowest !== null && (reached === null || lowest > reached)) this.reached[reads] = lowest;
        }
        return snapshot;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}

/** Every checkpoint, and the projections that failed, from one checkpoint query. */
async function snapshotOf(pool: pg.Pool, names: readonly string[]): Promise<CheckpointSnapshot> {
  const checkpoints = [...(await readCheckpoints(pool, names)).values()];
  return {
    positions: new Map(checkpoints.map(({ name, position }) => [name, position])),
    failed: checkpoints
      .filter((checkpoint) => checkpoint.state === 'failed')
      .map(({ name, position }) => ({ name, position })),
  };
}

/** The lowest checkpoint of these projections; null while one of them is not installed. */
function lowestOf(snapshot: CheckpointSnapshot, names: readonly string[]): Position | null {
  let lowest: Position | null = null;
  for (const name of names) {
    const position = snapshot.positions.get(name);
    if (position === undefined) return null;
    if (lowest === null || position < lowest) lowest = position;
  }
  return lowest;
}

function notYet(detail: string): ProblemError {
  return ProblemError.of(503, 'CONSISTENCY.NOT_YET', detail, undefined).withHeaders({ 'Retry-After': '1' });
}
