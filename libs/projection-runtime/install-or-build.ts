import type { Logger } from 'pino';
import { START } from '../event-store/index.js';
import { readCheckpoint } from './checkpoint.js';
import { installProjection } from './install.js';
import { rebuildProjection, RebuildRefused } from './rebuild.js';
import { type ProjectionRunnerOptions } from './runner-contract.js';

/**
 * What a runner does before it follows the log: installs its projection
 * (install.ts), and rebuilds it beside its tables (rebuild.ts), while they
 * keep serving, when
 *
 * - the tables exist without a checkpoint row, or at an older version
 *   (operators delete rows; a deploy bumps a version); or
 * - the projection has a bulk mode (Projection.completeBuild) and has
 *   applied nothing yet over a log that is not empty (a new projection, a
 *   new database over an old log), whoever installed it: a rebuild's pages
 *   leave work to the end, where the runner's batches would do it again and
 *   again.
 *
 * Another process already rebuilding it is a problem of the runner's loop:
 * it waits and tries again.
 */
export async function installOrBuild(
  options: ProjectionRunnerOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const { projection, ownerPool, eventStore } = options;
  const outcome = await installProjection(ownerPool, projection);
  let why: string | null = null;
  if (outcome === 'needs-build') why = 'tables without a checkpoint of this version';
  else if (projection.completeBuild) {
    const checkpoint = await readCheckpoint(ownerPool, projection.name);
    if (checkpoint?.position === START && (await eventStore.headPosition()) !== START)
      why = 'nothing applied yet, over a log that is not empty: built in bulk mode';
  }
  if (why === null) return;

  log.warn({ version: projection.version, why }, 'rebuilding the projection beside its tables');
  try {
    const result = await rebuildProjection({
      projection,
      eventStore,
      ownerPool,
      upcast: options.upcast,
      logger: log,
      signal,
    });
    log.info(
      { position: result.position, events: result.eventsApplied, seconds: result.seconds },
      'projection rebuilt and switched in',
    );
  } catch (error) {
    if (error instanceof RebuildRefused && error.code === 'PROJECTION.REBUILD_RUNNING') {
      throw new Error(`projection ${projection.name} is being rebuilt by another process: waiting`);
    }
    throw error;
  }
}
