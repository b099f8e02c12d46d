import { ConfigError, loadConfig } from '../../libs/config/index.js';
import { createLogger } from '../api/logging.js';
import { startRuntime } from '../api/runtime.js';
import { Shutdown } from '../api/shutdown.js';
import { startProjector } from './projector.js';

/**
 * The projector as a process of its own, for deployments that scale it apart
 * from the API (docker-compose). `npm start` runs it inside the API process
 * instead. In embedded mode it attaches to the embedded Postgres the API
 * already runs on the same TENANTRY_DATA_DIR, or starts one.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`tenantry-projector: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel).child({ process: 'projector' });
  const shutdown = new Shutdown(logger).listen();
  try {
    await shutdown.whileStarting(
      (async () => {
        const runtime = await startRuntime(config, logger, { attachToRunning: true });
        shutdown.add('postgres and event store', () => runtime.close());
        const projector = startProjector(runtime, logger);
        shutdown.add('projector', () => projector.stop());
      })(),
    );
  } catch (error) {
    logger.fatal({ err: error }, 'startup failed');
    await shutdown.stop(1);
  }
}

await main();
