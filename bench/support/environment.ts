import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Logger, pino } from 'pino';
import { type CommandContext } from '../../libs/command-runtime/index.js';
import { loadConfig, type LogLevel } from '../../libs/config/index.js';
import { EmbeddedPostgres } from '../../libs/persistence/index.js';
import { createLogger, type Runtime, startRuntime } from '../../libs/runtime/index.js';

/**
 * The benchmark's own Postgres: an embedded cluster in a temporary
 * directory, with fsync on (the figures are about a durable service), and
 * Tenantry's database on it reached through DATABASE_URL, exactly as a
 * service with an external Postgres would be. Other databases on the same
 * cluster hold the baselines and the peer (Emmett), so they share the
 * machine's disk and cores with Tenantry in the same run.
 */
export interface BenchEnvironment {
  readonly logger: Logger;
  readonly server: EmbeddedPostgres;
  /** Superuser URL of a database on the cluster (created on first use by `createDatabase`). */
  urlOf(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** Tenantry's runtime (Postgres migrated, event store) on the `tenantry` database. */
  readonly runtime: Runtime;
  /** Environment for a child process (rebuild, load) that reaches the same database. */
  readonly childEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  // Logs go to stderr: stdout holds the results table alone. Postgres's own
  // log is quieter still: the concurrency figures provoke expected-revision
  // errors on purpose, and the server logs each of them.
  // The service's logger (redacting Authorization, as in production), on stderr; at
  // `fatal` by default, since the figures count errors themselves and a
  // load figure would otherwise print one line per refused request.
  const logger = createLogger(
    (process.env.BENCH_LOG_LEVEL ?? 'fatal') as LogLevel,
    pino.destination({ dest: 2, sync: false }),
  );
  const postgresLogger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'error' }, pino.destination(2));
  // Under os.tmpdir(): run as root, Postgres runs as `postgres`, which must reach it.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-bench-'));
  await fs.chmod(dir, 0o711);
  const server = await EmbeddedPostgres.start({
    clusterDir: path.join(dir, 'cluster'),
    superuserPassword: randomBytes(18).toString('base64url'),
    logger: postgresLogger,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_buffers=512MB'],
  });
  const urlOf = (database: string) => server.superuserUrl(database);
  const createDatabase = async (name: string) => {
    const client = new pg.Client({ connectionString: urlOf('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return urlOf(name);
  };
  try {
    const databaseUrl = await createDatabase('tenantry');
    const tenantryEnv = {
      DATABASE_URL: databaseUrl,
      TENANTRY_APP_DB_PASSWORD: randomBytes(18).toString('base64url'),
      TENANTRY_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
    };
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...tenantryEnv };
    delete childEnv.EVENTSTORE_URL;
    const config = loadConfig(tenantryEnv);
    const runtime = await startRuntime(config, logger, { poolSize: 40 });
    return {
      logger,
      server,
      urlOf,
      createDatabase,
      runtime,
      childEnv,
      async close() {
        await runtime.close();
        await server.stop();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** A request's metadata, as the HTTP edge builds it. */
export function contextFor(actorId: string): CommandContext {
  const id = randomUUID();
  return { actorId, correlationId: id, causationId: id, now: new Date() };
}
