import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { EmbeddedPostgres } from '../../libs/persistence/index.js';

/**
 * A fresh, empty database for one test file. With DATABASE_URL set it is
 * created on that server; otherwise on an embedded Postgres started for this
 * test file (jest gives every file its own module registry, so a cluster
 * cannot outlive its file without tricks; initdb + start take under a
 * second). The cluster stops when its last database is dropped, and at the
 * latest after the file's tests.
 */
export interface TestDatabase {
  /** Connection string of a superuser on the new database. */
  readonly url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL || (await acquireEmbeddedCluster());
  const name = `tenantry_test_${randomBytes(6).toString('hex')}`;
  try {
    await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  } catch (error) {
    if (!process.env.DATABASE_URL) await releaseEmbeddedCluster();
    throw error;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      if (process.env.DATABASE_URL) {
        await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
        return;
      }
      // A cluster already stopped took the database with it.
      if (cluster)
        await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await releaseEmbeddedCluster();
    },
  };
}

interface TestCluster {
  readonly server: EmbeddedPostgres;
  readonly dir: string;
  users: number;
}

let cluster: TestCluster | undefined;
let starting: Promise<TestCluster> | undefined;

async function acquireEmbeddedCluster(): Promise<string> {
  // Only when none runs: a second database of the file must not start (and leak) a second cluster.
  if (!cluster) {
    starting ??= startCluster().finally(() => (starting = undefined));
    cluster ??= await starting;
  }
  cluster.users++;
  return cluster.server.superuserUrl();
}

async function startCluster(): Promise<TestCluster> {
  // Under os.tmpdir(): when the tests run as root, Postgres runs as the
  // `postgres` user and must be able to reach the directory.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-test-pg-'));
  await fs.chmod(dir, 0o711);
  const server = await EmbeddedPostgres.start({
    clusterDir: path.join(dir, 'cluster'),
    superuserPassword: randomBytes(18).toString('base64url'),
    logger: pino({ level: process.env.TEST_PG_LOG_LEVEL ?? 'warn' }),
    // A throwaway cluster: durability buys nothing and costs seconds.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  });
  return { server, dir, users: 0 };
}

async function releaseEmbeddedCluster(force = false): Promise<void> {
  const current = cluster;
  if (!current) return;
  current.users--;
  if (current.users > 0 && !force) return;
  cluster = undefined;
  await current.server.stop();
  await fs.rm(current.dir, { recursive: true, force: true });
}

// The backstop for a file that forgets to drop its database or fails before
// it can. Registered at import, it runs after the hooks of the file's describe blocks.
if (typeof afterAll === 'function') {
  afterAll(() => releaseEmbeddedCluster(true));
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
