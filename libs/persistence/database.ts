import pg from 'pg';
import type { Logger } from 'pino';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import { type TenantryConfig } from '../config/index.js';
import { type SupervisedPostgres } from './embedded/supervised-postgres.js';
import { attachEmbeddedCluster, startEmbeddedCluster } from './embedded/embedded-cluster.js';
import { MIGRATIONS } from './migrations/index.js';
import { APP_ROLE, ensureExternalAppRole, verifyAppRole } from './roles.js';
import { PinoTypeOrmLogger } from './typeorm-logger.js';
import { ConnectionHealth } from './connection-health.js';
import { coalescingClientClass, guardedClientClass, preparingClientClass } from './pg-clients.js';

export type DatabaseConfig = Pick<TenantryConfig, 'databaseUrl' | 'dataDir' | 'appDbPassword'>;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;

export interface OpenDatabaseOptions {
  /** TypeORM entities, for the owner's data source. */
  readonly entities?: Entities;
  /** Connections per pool (each role has one pg pool; the owner also has TypeORM's). */
  readonly poolSize?: number;
  /**
   * Embedded mode: use the embedded Postgres another process already runs on
   * the data dir, if any, instead of failing because it holds the cluster.
   */
  readonly attachToRunning?: boolean;
}

/**
 * Tenantry's Postgres, as two roles (DESIGN.md §7): the owner, for
 * migrations, the event store and projectors; the app role, for queries,
 * which row-level security binds. Each role has a plain pg pool; the owner
 * also has a TypeORM data source, for the migrations. The app role has none:
 * queries go through its pg pool (libs/persistence/tenancy.ts).
 */
export interface Database {
  /** embedded: this process started the embedded Postgres; attached: another process runs it. */
  readonly mode: 'embedded' | 'attached' | 'external';
  readonly ownerPool: pg.Pool;
  readonly appPool: pg.Pool;
  readonly owner: DataSource;
  /** The embedded Postgres this process started (and stops at close). */
  readonly embedded: SupervisedPostgres | undefined;
  /** Throws when Postgres cannot be reached by the query role. */
  ping(): Promise<void>;
  /** Whether Postgres answered the last look (logged on each change). */
  readonly health: Pick<ConnectionHealth, 'up'>;
  /** Closes the pools and stops the embedded cluster. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts (embedded) or reaches (DATABASE_URL) Postgres, makes sure the
 * roles and database exist, and opens the connections. Migrations are the
 * caller's next step (runMigrations), so tools can connect without them.
 */
export async function openDatabase(
  config: DatabaseConfig,
  logger: Logger,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  let ownerUrl: string;
  let appUrl: string;
  let embedded: SupervisedPostgres | undefined;
  let mode: Database['mode'];
  if (config.databaseUrl) {
    mode = 'external';
    ownerUrl = config.databaseUrl;
    await ensureExternalAppRole(ownerUrl, config.appDbPassword);
    appUrl = externalAppUrl(ownerUrl, config.appDbPassword);
  } else {
    const attached = options.attachToRunning ? await attachEmbeddedCluster(config.dataDir) : undefined;
    const cluster = attached ?? (await startEmbeddedCluster(config.dataDir, logger));
    mode = attached ? 'attached' : 'embedded';
    ({ ownerUrl, appUrl, server: embedded } = cluster);
  }

  const poolSize = options.poolSize ?? 10;
  // Every client of every pool reports a broken connection here, and nothing else: see pg-clients.ts.
  const health = new ConnectionHealth(() => ping(appPool), logger);
  const Client = guardedClientClass((error) => {
    logger.debug({ err: error }, 'a Postgres connection broke');
    health.connectionFailed();
  });
  const ownerPool = createPool(ownerUrl, poolSize, 'owner', Client, false);
  // The app pool pipelines: statements sent without awaiting each other share a round trip
  // (a request's read scope opens in one: tenancy.ts ReadTransaction), its reads are prepared
  // once per connection (pg-clients.ts preparingClientClass), and the statements of one tick
  // leave in one socket write (coalescingClientClass).
  const appPool = createPool(
    appUrl,
    poolSize,
    'app',
    coalescingClientClass(preparingClientClass(Client)),
    true,
  );
  const owner = createDataSource(ownerUrl, poolSize, options.entities, logger, Client);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await health.stop();
      await Promise.allSettled([
        owner.isInitialized ? owner.destroy() : undefined,
        ownerPool.end(),
        appPool.end(),
      ]);
      await embedded?.stop();
    })();
    return closing;
  };

  try {
    await verifyAppRole(ownerPool);
    await owner.initialize();
  } catch (error) {
    await close();
    throw error;
  }
  logger.info({ mode, appRole: APP_ROLE }, 'connected to Postgres');
  health.start();
  return {
    mode,
    ownerPool,
    appPool,
    owner,
    embedded,
    ping: () => ping(appPool),
    health,
    close,
  };
}

/** DATABASE_URL with the app role's name and password: same host, port, database and options. */
export function externalAppUrl(ownerUrl: string, appPassword: string | undefined): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = appPassword ?? '';
  return url.toString();
}

async function ping(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT 1');
}

function createPool(
  connectionString: string,
  max: number,
  role: string,
  Client: typeof pg.Client,
  pipeline: boolean,
): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: `tenantry-${role}`, Client, pipeline });
  // An idle connection that breaks (Postgres restarting, stopping) must not crash the process:
  // the pool drops it and the next query opens a new one. Its client has already reported it.
  pool.on('error', () => undefined);
  return pool;
}

function createDataSource(
  url: string,
  poolSize: number,
  entities: Entities | undefined,
  logger: Logger,
  Client: typeof pg.Client,
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    poolSize,
    extra: { Client },
    // Its clients report broken connections themselves (pg-clients.ts).
    poolErrorHandler: () => undefined,
    entities: entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    logger: new PinoTypeOrmLogger(logger),
    logging: ['error', 'warn', 'migration'],
    applicationName: 'tenantry',
  });
}
