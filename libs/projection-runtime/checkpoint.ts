import pg from 'pg';
import { type Position } from '../event-store/index.js';

/**
 * A projection's row in `projection.checkpoints`: where it is in the log and
 * how it is doing. Every statement that reads or moves the row lives here;
 * the runner (projection-runner.ts), `skip` (skip.ts) and status (status.ts)
 * share them.
 */
export type CheckpointState = 'catching_up' | 'live' | 'failed';

export interface Checkpoint {
  readonly name: string;
  readonly version: number;
  /**
   * The access policy version it was built under (DESIGN.md §8 "stale");
   * null for a projection that holds no policy-derived data.
   */
  readonly policyVersion: number | null;
  /** Bumped by each switch to a rebuilt version (rebuild.ts): the runner's guard. */
  readonly generation: number;
  /** The last event applied: the next one applied is the first after it. */
  readonly position: Position;
  readonly state: CheckpointState;
  /** Set exactly when failed: the event it could not apply. */
  readonly failedPosition: Position | null;
  readonly failedEventType: string | null;
  readonly failedEventId: string | null;
  readonly lastError: string | null;
  /** Attempts that failed on the current batch (0 after a successful commit). */
  readonly retries: number;
  readonly eventsApplied: number;
  /** When the store recorded the last event applied. */
  readonly lastEventRecordedAt: Date | null;
  readonly updatedAt: Date;
}

/**
 * NOTIFY channel: the payload is a projection's name, sent in the same
 * transaction that moves its checkpoint (or marks it failed), so a reader
 * waiting for a consistency token can LISTEN instead of polling.
 */
export const CHECKPOINT_CHANNEL = 'tenantry_projection_checkpoint';

/** What both pg.Pool and a client offer: one query at a time. */
export interface Queryable {
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
}

interface CheckpointRow {
  name: string;
  version: number;
  policy_version: number | null;
  generation: number;
  position: string;
  state: CheckpointState;
  failed_position: string | null;
  failed_event_type: string | null;
  failed_event_id: string | null;
  last_error: string | null;
  retries: number;
  events_applied: string;
  last_event_recorded_at: Date | null;
  updated_at: Date;
}

const COLUMNS = `name, version, policy_version, generation, position, state, failed_position, failed_event_type,
  failed_event_id, last_error, retries, events_applied, last_event_recorded_at, updated_at`;

export async function readCheckpoint(
  db: Queryable,
  name: string,
  options: { forUpdate?: boolean } = {},
): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${COLUMNS} FROM projection.checkpoints WHERE name = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [name],
  );
  return rows[0] && toCheckpoint(rows[0]);
}

/** The rows of these projections, by name; a projection never installed is absent. */
export async function readCheckpoints(
  db: Queryable,
  names: readonly string[],
): Promise<Map<string, Checkpoint>> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${COLUMNS} FROM projection.checkpoints WHERE name = ANY($1::text[])`,
    [names],
  );
  return new Map(rows.map((row) => [row.name, toCheckpoint(row)]));
}

export interface CheckpointMove {
  readonly name: string;
  /** The generation the caller read: a rebuild switched in since refuses the move. */
  readonly generation: number;
  /** Where the caller believes the checkpoint is: the move is refused otherwise. */
  readonly from: Position;
  readonly to: Position;
  readonly state: Exclude<CheckpointState, 'failed'>;
  readonly eventsApplied: number;
  readonly lastEventRecordedAt: Date;
}

/**
 * What `projection.move_checkpoint` raises when the checkpoint is not where
 * the caller believes it is (libs/persistence migration
 * 1732900000000-move-checkpoint.ts, which writes it out).
 */
export const CHECKPOINT_MOVED_ELSEWHERE_SQLSTATE = 'TP001';

/**
 * Moves the checkpoint past a batch, inside the caller's transaction (the
 * one that wrote the batch's rows), and notifies at commit; alone, as its
 * own transaction, for a batch that wrote nothing. Resolves false when the
 * row is not at `from`, is failed, or is of another generation (a rebuild
 * switched in): someone else moved it. The statement then fails, so the
 * caller's transaction is aborted, and a COMMIT sent behind it (without
 * waiting for this answer: batch-commit.ts) rolls the batch back.
 */
export async function moveCheckpoint(client: Queryable, move: CheckpointMove): Promise<boolean> {
  try {
    await client.query('SELECT projection.move_checkpoint($1, $2, $3, $4, $5, $6, $7)', [
      move.name,
      move.from,
      move.to,
      move.state,
      move.eventsApplied,
      move.lastEventRecordedAt,
      move.generation,
    ]);
    return true;
  } catch (error) {
    if (error instanceof pg.DatabaseError && error.code === CHECKPOINT_MOVED_ELSEWHERE_SQLSTATE) return false;
    throw error;
  }
}

/**
 * Sets the state without moving the position (catching up after a restart,
 * live once caught up). Same guard as {@link moveCheckpoint}.
 */
export async function setCheckpointState(
  client: Queryable,
  name: string,
  at: Position,
  state: Exclude<CheckpointState, 'failed'>,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE projection.checkpoints SET state = $3, updated_at = now()
      WHERE name = $1 AND position = $2 AND state <> 'failed' AND state <> $3`,
    [name, at, state],
  );
  if (rowCount === 1) await notifyCheckpoint(client, name);
  return rowCount === 1;
}

/** Records a failed attempt on a batch that will be retried (its own statement, outside any batch). */
export async function recordRetry(client: Queryable, name: string, retries: number, error: string) {
  await client.query(
    `UPDATE projection.checkpoints SET retries = $2, last_error = $3, updated_at = now() WHERE name = $1`,
    [name, retries, error],
  );
}

export interface CheckpointFailure {
  readonly name: string;
  readonly position: Position;
  readonly eventType: string;
  readonly eventId: string;
  readonly error: string;
  readonly retries: number;
}

/** Stops the projection at an event, in the caller's transaction; notifies at commit. */
export async function markCheckpointFailed(client: Queryable, failure: CheckpointFailure): Promise<void> {
  await client.query(
    `UPDATE projection.checkpoints
        SET state = 'failed', failed_position = $2, failed_event_type = $3, failed_event_id = $4,
            last_error = $5, retries = $6, updated_at = now()
      WHERE name = $1`,
    [failure.name, failure.position, failure.eventType, failure.eventId, failure.error, failure.retries],
  );
  await notifyCheckpoint(client, failure.name);
}

export async function notifyCheckpoint(client: Queryable, name: string): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [CHECKPOINT_CHANNEL, name]);
}

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    name: row.name,
    version: row.version,
    policyVersion: row.policy_version,
    generation: row.generation,
    position: row.position as Position,
    state: row.state,
    failedPosition: row.failed_position as Position | null,
    failedEventType: row.failed_event_type,
    failedEventId: row.failed_event_id,
    lastError: row.last_error,
    retries: row.retries,
    eventsApplied: Number(row.events_applied),
    lastEventRecordedAt: row.last_event_recorded_at,
    updatedAt: row.updated_at,
  };
}
