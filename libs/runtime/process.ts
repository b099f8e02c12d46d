import type { Logger } from 'pino';
import { ConfigError, loadConfig, type TenantryConfig } from '../config/index.js';
import { heapLimitMiB } from './heap.js';
import { createLogger } from './logging.js';
import { Shutdown } from './shutdown.js';

/** What a service process starts with: its configuration, its logger, and the shutdown its steps join. */
export interface ServiceProcess {
  readonly config: TenantryConfig;
  readonly logger: Logger;
  readonly shutdown: Shutdown;
}

export interface RunServiceOptions {
  /** How the process names itself on stderr (`tenantry`, `tenantry-projector`). */
  readonly name: string;
  /** Fields every log line of the process carries. */
  readonly logBindings?: Record<string, string>;
  /** Also say on stderr, outside the JSON log, that startup failed: for the person who ran `npm start`. */
  readonly echoStartupFailure?: boolean;
  /** Starts what the process runs, adding a shutdown step for each thing it started. */
  start(service: ServiceProcess): Promise<void>;
}

/**
 * The life of a service process (apps/api, apps/projector): configuration
 * (a bad one is a line on stderr and exit 1, before any log), the logger,
 * signal handling, then `start`. A failed start is logged, and what it had
 * started is stopped in reverse order before the process exits 1.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${options.name}: ${error.message}\n`);
    process.exit(1);
  }
  const root = createLogger(config.logLevel);
  const logger = options.logBindings ? root.child(options.logBindings) : root;
  const shutdown = new Shutdown(logger).listen();
  logger.info({ heapLimitMiB: heapLimitMiB(), node: process.version }, 'starting');
  try {
    await shutdown.whileStarting(options.start({ config, logger, shutdown }));
  } catch (error) {
    logger.fatal({ err: error }, 'startup failed');
    if (options.echoStartupFailure) {
      process.stderr.write(
        `${options.name}: startup failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    await shutdown.stop(1);
  }
}
