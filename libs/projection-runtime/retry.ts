import type pg from 'pg';
import type { Logger } from 'pino';
import { type Position } from '../event-store/index.js';
import { notifyCheckpoint, readCheckpoint } from './checkpoint.js';
import { SkipRefused } from './skip.js';

/**
 * `tenantry projections retry`: a failed projection tries its failed event
 * again, for a cause fixed outside the code (a full disk, a lost
 * extension). Clears the failure and nothing else: the checkpoint stays
 * before the failed event, so the idle runner, which rereads its row, applies
 * that event again (and fails again if the cause is still there). Refused,
 * with the skip's codes, unless the projection is failed.
 */
export async function retryFailedProjection(
  ownerPool: pg.Pool,
  request: { name: string; actor: string },
  logger: Logger,
): Promise<{ name: string; position: Position; failedPosition: Position | null }> {
  const client = await ownerPool.connect();
  try {
    await client.query('BEGIN');
    const checkpoint = await readCheckpoint(client, request.name, { forUpdate: true });
    if (!checkpoint) {
      throw new SkipRefused('PROJECTION.NOT_FOUND', `no projection named ${request.name} is installed`);
    }
    if (checkpoint.state !== 'failed') {
      throw new SkipRefused(
        'PROJECTION.NOT_FAILED',
        `projection ${request.name} is ${checkpoint.state}: only a failed projection can be retried`,
      );
    }
    await client.query(
      `UPDATE projection.checkpoints
          SET state = 'catching_up', failed_position = NULL, failed_event_type = NULL,
              failed_event_id = NULL, last_error = NULL, retries = 0, updated_at = now()
        WHERE name = $1`,
      [request.name],
    );
    await notifyCheckpoint(client, request.name);
    await client.query('COMMIT');
    logger.warn(
      {
        projection: request.name,
        failedPosition: checkpoint.failedPosition,
        error: checkpoint.lastError,
        actor: request.actor,
      },
      'failed projection retried on request',
    );
    return { name: request.name, position: checkpoint.position, failedPosition: checkpoint.failedPosition };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
