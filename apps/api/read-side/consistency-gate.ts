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
 * route: a token means "everything I did is visible".
 *
 * The lowest checkpoint last read is kept for each set, to tell which
 * requests must wait, and only for that. It is never taken as proof that a
 * request may read: the projection runners commit asynchronously
 * (projection-runner.ts), so a Postgres crash can take their last batches
 * back, checkpoint and rows together, and a checkpoint seen here can go back
 * until the runner applies those events again. So what lets a request read
 * is always Postgres itself, in the request's own session: a read route
 * checks the checkpoints in the round trip that opens its read transaction
 * ({@link confirmIn}, before its reads, on the same connection: a crash in
 * between breaks that connection and fails the request); any other route
 * looks its API token up again on one connection, with the check sent ahead
 * of the lookup (BearerAuthGuard). A check that finds them behind the cache
 * lowers it, and the request waits ({@link waitFor}) and checks again.
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

  /**
   * Whether the projections read had reached the position when their
   * checkpoints were last read (no query): a request for which this is false
   * waits; one for which it is true still confirms ({@link confirmIn}).
   */
  hasReached(position: Position, reads: ProjectionsRead = 'routes'): boolean {
    const reached = this.reached[reads];
    return reached !== null && reached >= position;
  }

  /**
   * Whether the projections read have reached the position, asked on the
   * request's own session, in the statement it sends ahead of its reads:
   * READ COMMITTED, so those reads see at least what this statement saw.
   * False lowers what {@link hasReached} answers, until checkpoints are read
   * again ({@link waitFor}).
   */
  async confirmIn(client: pg.ClientBase, position: Position, reads: ProjectionsRead): Promise<boolean> {
    const names = this.projections[reads];
    const { rows } = await client.query<{ reached: boolean }>(
      `SELECT count(*) FILTER (WHERE position >= $1) = cardinality($2::text[]) AS reached
         FROM projection.checkpoints WHERE name = ANY($2::text[])`,
      [position, names],
    );
    const reached = rows[0]?.reached === true;
    if (!reached) this.reached[reads] = null;
    return reached;
  }

  /**
   * Waits until the projections read have reached the position, reading
   * their checkpoints at least once however far the cache says they are;
   * 503 when it takes too long or too many wait.
   */
  async waitFor(position: Position, reads: ProjectionsRead = 'routes'): Promise<void> {
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
      // Taken before reading: a notification that comes during the read wakes the wait below at once.
      const since = this.checkpointMoved.current;
      const snapshot = await this.snapshot();
      if (this.hasReached(position, reads)) return;
      const stuck = snapshot.failed.find(
        (projection) => names.has(projection.name) && projection.position < position,
      );
      if (stuck) throw consistencyNotYet(`projection ${stuck.name} has failed before reaching this position`);
      const left = deadline - Date.now();
      if (left <= 0) throw consistencyNotYet('the read models have not reached this position yet');
      await this.checkpointMoved.wait(since, Math.min(FALLBACK_POLL_MS, left));
    }
  }

  /**
   * One checkpoint query at a time, shared by every waiting request; sets
   * `reached` to what it read, lower than before after a crash took batches back.
   */
  private snapshot(): Promise<CheckpointSnapshot> {
    this.inFlight ??= snapshotOf(this.readSide.appPool, this.readSide.projectionNames)
      .then((snapshot) => {
        for (const reads of ['routes', 'audit'] as const) {
          this.reached[reads] = lowestOf(snapshot, this.projections[reads]);
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

/** 503 CONSISTENCY.NOT_YET: the read models have not reached the request's consistency token. */
export function consistencyNotYet(detail: string): ProblemError {
  return ProblemError.of(503, 'CONSISTENCY.NOT_YET', detail, undefined).withHeaders({ 'Retry-After': '1' });
}
