import { type AddressInfo } from 'node:net';
import { type OperatorToken, resolveOperatorToken, tokenPrefix } from '../../libs/config/index.js';
import { installProjections, runService, startProjector, startRuntime } from '../../libs/runtime/index.js';
import { createApp } from './create-app.js';

/**
 * `npm start`: the API and the projector in one process (DESIGN.md §3);
 * with TENANTRY_PROJECTOR=off, the API alone (apps/projector runs the projector).
 * Startup: config, Postgres (embedded unless DATABASE_URL), migrations, the
 * event store, the projections' tables, the projector, then HTTP. Shutdown undoes it in reverse.
 */
await runService({
  name: 'tenantry',
  echoStartupFailure: true,
  async start({ config, logger, shutdown }) {
    const operatorToken = await resolveOperatorToken(config);
    const runtime = await startRuntime(config, logger);
    shutdown.add('postgres and event store', () => runtime.close());
    await installProjections(runtime.database.ownerPool, logger);
    if (config.projector) {
      const projector = startProjector(runtime, logger);
      shutdown.add('projector', () => projector.stop());
    } else {
      logger.info(
        'TENANTRY_PROJECTOR=off: no projector in this process; a projector process applies the log',
      );
    }
    const app = await createApp({
      ...runtime,
      logger,
      operatorToken: operatorToken.token,
      httpAdapter: config.httpAdapter,
    });
    shutdown.add('http', () => app.close());
    await app.listen(config.port);
    const { port } = app.getHttpServer().address() as AddressInfo;
    await new Promise((resolve) => setImmediate(resolve)); // after Nest's buffered startup logs
    announce(`http://localhost:${port}`, operatorToken);
    logger.info(
      {
        url: `http://localhost:${port}`,
        operatorTokenPrefix: tokenPrefix(operatorToken.token),
        dataDir: config.dataDir,
        httpAdapter: config.httpAdapter,
      },
      'tenantry started',
    );
  },
});

/**
 * For the person who ran `npm start`: plain lines on stdout, outside the JSON
 * log. The token is printed here, in full, and never logged (DESIGN.md §4).
 */
function announce(url: string, operatorToken: OperatorToken): void {
  const token =
    operatorToken.source === 'environment'
      ? `from TENANTRY_OPERATOR_TOKEN (starts with ${tokenPrefix(operatorToken.token)})`
      : `${operatorToken.token}  (kept in ${operatorToken.file})`;
  process.stdout.write(`\nTenantry is listening on ${url}\nOperator token: ${token}\n\n`);
}
