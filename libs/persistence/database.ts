import pg from 'pg';
import type { Logger } from 'pino';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import { type TenantryConfig } from '../config/index.js';
import { type EmbeddedPostgres } from './embedded/embedded-postgres.js';
import { attachEmbeddedCluster, startEmbeddedCluster } from './embedded/embedded-cluster.js';
import { MIGRATIONS } from './migrations/index.js';
import { APP_ROLE, ensureExternalAppRole, verifyAppRole } from './roles.js';
import { PinoTypeOrmLogger } from './typeorm-logger.js';

/** SQLSTATE of sessions ended by a Postgres shutdown. */
const ADMIN_SHUTDOWN = '57P01';

export type DatabaseConfig = Pick<TenantryConfig, 'databaseUrl' | 'dataDir' | 'appDbPassword'>;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Entities = MixedList<Function | string | EntitySchema>;

export interface OpenDatabaseOptions {
  /** TypeORM entities of the read models, for both data sources. */
  readonly entities?: Entities;
  /** Connections per pool (each role has one pg pool and one TypeORM pool). */
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
 * which row-level security binds. Each role has a plain pg pool and a
 * TypeORM data source.
 */
export interface Database {
  /** embedded: this process started the embedded Postgres; attached: another process runs it. */
  readonly mode: 'embedded' | 'attached' | 'external';
  readonly ownerPool: pg.Pool;
  readonly appPool: pg.Pool;
  readonly owner: DataSource;
  readonly app: DataSource;
  /** The embedded Postgres this process started (and stops at close). */
  readonly embedded: EmbeddedPostgres | undefined;
  /** Throws when Postgres cannot be reached by the query role. */
  ping(): Promise<void>;
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
  let embedded: EmbeddedPostgres | undefined;
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
  const ownerPool = createPool(ownerUrl, poolSize, 'owner', logger);
  const appPool = createPool(appUrl, poolSize, 'app', logger);
  const owner = createDataSource(ownerUrl, poolSize, options.entities, logger);
  const app = createDataSource(appUrl, poolSize, options.entities, logger);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await Promise.allSettled([
        owner.isInitialized ? owner.destroy() : undefined,
        app.isInitialized ? app.destroy() : undefined,
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
    await app.initialize();
  } catch (error) {
    await close();
    throw error;
  }
  logger.info({ mode, appRole: APP_ROLE }, 'connected to Postgres');
  return {
    mode,
    ownerPool,
    appPool,
    owner,
    app,
    embedded,
    async ping() {
      await appPool.query('SELECT 1');
    },
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

function createPool(connectionString: string, max: number, role: string, logger: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: `tenantry-${role}` });
  // An idle connection that breaks (Postgres restarting, stopping) must not crash the process:
  // the pool drops it and the next query opens a new one. A shutdown ending it is routine.
  pool.on('error', (error) => {
    const routine = (error as { code?: string }).code === ADMIN_SHUTDOWN;
    logger[routine ? 'debug' : 'warn']({ err: error, role }, 'idle Postgres connection failed');
  });
  return pool;
}

function createDataSource(
  url: string,
  poolSize: number,
  entities: Entities | undefined,
  logger: Logger,
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    poolSize,
    entities: entities ?? [],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    logger: new PinoTypeOrmLogger(logger),
    logging: ['error', 'warn', 'migration'],
    applicationName: 'tenantry',
  });
}
