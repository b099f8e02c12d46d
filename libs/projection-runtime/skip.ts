import type pg from 'pg';
import type { Logger } from 'pino';
import { type Position } from '../event-store/index.js';
import { notifyCheckpoint, readCheckpoint } from './checkpoint.js';

export type SkipRefusalCode =
  | 'PROJECTION.NOT_FOUND'
  | 'PROJECTION.NOT_FAILED'
  | 'PROJECTION.SKIP_POSITION_MISMATCH'
  | 'PROJECTION.SKIP_REASON_REQUIRED'
  | 'PROJECTION.SKIP_ACTOR_REQUIRED';

/** A skip that was not done, and why (`code` is stable; the message is for people). */
export class SkipRefused extends Error {
  constructor(
    readonly code: SkipRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'SkipRefused';
  }
}

export interface SkipRequest {
  readonly name: string;
  /** The failed event's position, as status shows it: the caller names what it skips. */
  readonly position: string;
  /** Why skipping is right; kept in projection.skips. */
  readonly reason: string;
  /** Who decided (an operator's name or id). */
  readonly actor: string;
}

export interface SkippedEvent {
  readonly name: string;
  readonly position: Position;
  readonly eventType: string;
  readonly eventId: string | null;
  readonly skippedAt: Date;
}

/**
 * The explicit skip of DESIGN.md §7, for support staff: moves a failed
 * projection's checkpoint onto the event it failed at, so its runner
 * resumes with the event after it.
 *
 * Skipping can make a read model wrong (an ACL projection would grant or
 * deny wrongly), so it is narrow and leaves a trace: only a failed
 * projection, only at the exact position it failed at (a skip typed against
 * an older failure never skips a newer one), only with a reason; recorded in
 * projection.skips with the event, the error and who decided, and logged.
 * The row is locked for the check and the change, so two operators cannot
 * both skip.
 */
export async function skipFailedEvent(
  ownerPool: pg.Pool,
  request: SkipRequest,
  logger: Logger,
): Promise<SkippedEvent> {
  const reason = request.reason.trim();
  const actor = request.actor.trim();
  if (!reason) throw new SkipRefused('PROJECTION.SKIP_REASON_REQUIRED', 'a skip needs a reason');
  if (!actor) throw new SkipRefused('PROJECTION.SKIP_ACTOR_REQUIRED', 'a skip needs the name of who decided');

  const client = await ownerPool.connect();
  try {
    await client.query('BEGIN');
    const checkpoint = await readCheckpoint(client, request.name, { forUpdate: true });
    if (!checkpoint) {
      throw new SkipRefused('PROJECTION.NOT_FOUND', `no projection named ${request.name} is installed`);
    }
    if (checkpoint.state !== 'failed' || checkpoint.failedPosition === null) {
      throw new SkipRefused(
        'PROJECTION.NOT_FAILED',
        checkpoint.state === 'failed'
          ? `projection ${request.name} is failed at no recorded event: there is nothing to skip`
          : `projection ${request.name} is ${checkpoint.state}: only a failed projection can skip an event`,
      );
    }
    if (checkpoint.failedPosition !== request.position) {
      throw new SkipRefused(
        'PROJECTION.SKIP_POSITION_MISMATCH',
        `projection ${request.name} failed at ${checkpoint.failedPosition}, not at ${request.position}`,
      );
    }
    const position = checkpoint.failedPosition;
    const eventType = checkpoint.failedEventType ?? 'unknown';
    const { rows } = await client.query<{ skipped_at: Date }>(
      `INSERT INTO projection.skips (name, position, event_type, event_id, error, reason, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING skipped_at`,
      [request.name, position, eventType, checkpoint.failedEventId, checkpoint.lastError, reason, actor],
    );
    await client.query(
      `UPDATE projection.checkpoints
          SET position = failed_position, state = 'catching_up', failed_position = NULL,
              failed_event_type = NULL, failed_event_id = NULL, last_error = NULL, retries = 0,
              updated_at = now()
        WHERE name = $1`,
      [request.name],
    );
    await notifyCheckpoint(client, request.name);
    await client.query('COMMIT');
    const skipped: SkippedEvent = {
      name: request.name,
      position,
      eventType,
      eventId: checkpoint.failedEventId,
      skippedAt: rows[0]!.skipped_at,
    };
    logger.warn(
      {
        projection: request.name,
        position,
        eventType,
        eventId: checkpoint.failedEventId,
        error: checkpoint.lastError,
        reason,
        actor,
      },
      'projection skipped an event on request',
    );
    return skipped;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
