import type { Logger } from 'pino';
import { type EventStore } from '../../libs/event-store/index.js';
import { type Database } from '../../libs/persistence/index.js';

export interface Projector {
  stop(): Promise<void>;
}

/**
 * The projection worker (DESIGN.md §7). No projection exists yet: they
 * arrive with the query side, and will be registered and run from here,
 * in this process or inside the api (single-process mode).
 */
export function startProjector(
  _runtime: { eventStore: EventStore; database: Database },
  logger: Logger,
): Projector {
  logger.info({ component: 'projector' }, 'projector started: no projections are registered yet');
  // A worker runs until it is stopped, as it will once it follows the log.
  const keepAlive = setInterval(() => undefined, 60_000);
  return {
    async stop() {
      clearInterval(keepAlive);
      logger.info({ component: 'projector' }, 'projector stopped');
    },
  };
}
