import { runService, startProjector, startRuntime } from '../../libs/runtime/index.js';

/**
 * The projector as a process of its own, for deployments that scale it apart
 * from the API (docker-compose). `npm start` runs it inside the API process
 * instead. In embedded mode it attaches to the embedded Postgres the API
 * already runs on the same TENANTRY_DATA_DIR, or starts one.
 */
await runService({
  name: 'tenantry-projector',
  logBindings: { process: 'projector' },
  async start({ config, logger, shutdown }) {
    const runtime = await startRuntime(config, logger, { attachToRunning: true });
    shutdown.add('postgres and event store', () => runtime.close());
    const projector = startProjector(runtime, logger);
    shutdown.add('projector', () => projector.stop());
  },
});
