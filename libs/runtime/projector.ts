import type { Logger } from 'pino';
import { upcasters } from '../domain/upcasting/upcaster-registry.js';
import { type EventStore } from '../event-store/index.js';
import { type Database } from '../persistence/index.js';
import {
  installProjection,
  isStale,
  ProjectionRunner,
  ProjectionVersionMismatch,
  readCheckpoints,
} from '../projection-runtime/index.js';
import { PROJECTIONS } from '../../projections/index.js';

export interface Projector {
  readonly runners: readonly ProjectionRunner[];
  stop(): Promise<void>;
}

export interface ProjectorOptions {
  /** How often a standby runner tries to take over its projection (default: the runtime's). */
  readonly lockRetryMs?: number;
}

/**
 * Creates the tables and checkpoint of every projection not installed yet
 * (idempotent, safe from several processes). The API calls it before it
 * listens, so its queries never meet a missing table and /ready holds from
 * the first request; the runners would install them too, a moment later.
 *
 * Nothing an operator leaves stops the start: tables without a checkpoint
 * row, or of an older version, are rebuilt beside the live ones by the
 * runner (libs/projection-runtime rebuild.ts); a newer version than this
 * code is logged and left alone (its runner waits, and status says why).
 * Projections built under another access policy are logged as stale.
 */
export async function installProjections(ownerPool: Database['ownerPool'], logger?: Logger): Promise<void> {
  const log = logger?.child({ component: 'projector' });
  const toBuild: string[] = [];
  for (const projection of PROJECTIONS) {
    try {
      if ((await installProjection(ownerPool, projection)) === 'needs-build') toBuild.push(projection.name);
    } catch (error) {
      if (!(error instanceof ProjectionVersionMismatch)) throw error;
      log?.error(
        { projection: projection.name, err: error },
        'projection is newer than this code: left alone',
      );
    }
  }
  if (toBuild.length > 0) {
    log?.warn(
      { projections: toBuild },
      'projections without a checkpoint of this version: the projector rebuilds them',
    );
  }
  const checkpoints = await readCheckpoints(
    ownerPool,
    PROJECTIONS.map((p) => p.name),
  );
  const stale = PROJECTIONS.filter((p) => isStale(p, checkpoints.get(p.name)?.policyVersion)).map((p) => ({
    name: p.name,
    builtUnder: checkpoints.get(p.name)?.policyVersion ?? null,
    policyVersion: p.policyVersion ?? null,
  }));
  if (stale.length > 0) {
    log?.warn(
      { projections: stale },
      'projections are stale: built under another access policy; run tenantry projections rebuild <name>',
    );
  }
}

/**
 * The projection worker (DESIGN.md §7): one runner per projection, each
 * following the log from its own checkpoint. It runs inside the api
 * (single-process mode, `npm start`) or as a process of its own
 * (apps/projector/main.ts); several may run at once, and each projection is
 * then applied by exactly one of them (an advisory lock), the others
 * standing by to take over.
 */
export function startProjector(
  runtime: { eventStore: EventStore; database: Pick<Database, 'ownerPool'> },
  logger: Logger,
  options: ProjectorOptions = {},
): Projector {
  const log = logger.child({ component: 'projector' });
  const runners = PROJECTIONS.map(
    (projection) =>
      new ProjectionRunner({
        projection,
        eventStore: runtime.eventStore,
        ownerPool: runtime.database.ownerPool,
        logger: log,
        upcast: (event) => upcasters.upcast(event),
        ...(options.lockRetryMs === undefined ? {} : { lockRetryMs: options.lockRetryMs }),
      }),
  );
  for (const runner of runners) runner.start();
  log.info({ projections: PROJECTIONS.map((p) => `${p.name}@v${p.version}`) }, 'projector started');
  return {
    runners,
    async stop() {
      await Promise.all(runners.map((runner) => runner.stop()));
      log.info('projector stopped');
    },
  };
}
