import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ensureDataDir, generateSecret, OPERATOR_TOKEN_FILE, readSecretFile } from '../../config/index.js';
import { APP_ROLE, bootstrapEmbeddedRoles, EMBEDDED_DATABASE, OWNER_ROLE } from '../roles.js';
import { openDataDirToPostgresUser, runsPostgresAsOtherUser } from './data-dir-access.js';
import { connectionUrl, EmbeddedPostgres, runningPostmaster } from './embedded-postgres.js';

/** Where the cluster lives inside TENANTRY_DATA_DIR. */
export const CLUSTER_DIR = 'postgres';
/** The cluster's passwords and last port (mode 0600), beside it. */
export const CLUSTER_STATE_FILE = 'embedded-postgres.json';

/** What the data dir keeps about its cluster. Passwords are generated once. */
export interface ClusterState {
  readonly superuserPassword: string;
  readonly ownerPassword: string;
  readonly appPassword: string;
  /** The port of the last start; tried first next time, so tools that read this file find it. */
  readonly port?: number;
}

export interface EmbeddedCluster {
  /** The server this process started; undefined when it attached to one another process runs. */
  readonly server: EmbeddedPostgres | undefined;
  readonly ownerUrl: string;
  readonly appUrl: string;
}

/**
 * The embedded default (DESIGN.md §3): a Postgres cluster in
 * `<dataDir>/postgres`, its database `tenantry` owned by `tenantry_owner`,
 * and the role `tenantry_app` that queries run as. A second start reuses all
 * of it.
 */
export async function startEmbeddedCluster(dataDir: string, logger: Logger): Promise<EmbeddedCluster> {
  await ensureDataDir(dataDir);
  if (runsPostgresAsOtherUser()) await openDataDirToPostgresUser(dataDir, isDataDirEntry, logger);
  const clusterDir = path.join(dataDir, CLUSTER_DIR);
  const state = await loadClusterState(dataDir, clusterDir);
  const server = await EmbeddedPostgres.start({
    clusterDir,
    superuserPassword: state.superuserPassword,
    preferredPort: state.port,
    logger,
  });
  try {
    await writeClusterState(dataDir, { ...state, port: server.port });
    await bootstrapEmbeddedRoles(server.superuserUrl(), {
      owner: state.ownerPassword,
      app: state.appPassword,
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    server,
    ownerUrl: connectionUrl(OWNER_ROLE, state.ownerPassword, server.port, EMBEDDED_DATABASE),
    appUrl: connectionUrl(APP_ROLE, state.appPassword, server.port, EMBEDDED_DATABASE),
  };
}

/**
 * What Tenantry itself keeps in a data directory: the cluster, its state file
 * (and the temporary file it is written through), and the operator token.
 */
export function isDataDirEntry(name: string): boolean {
  return (
    name === CLUSTER_DIR ||
    name === CLUSTER_STATE_FILE ||
    name === OPERATOR_TOKEN_FILE ||
    (name.startsWith(`${CLUSTER_STATE_FILE}.`) && name.endsWith('.tmp'))
  );
}

/**
 * Connects to the embedded cluster another process (the API) already runs on
 * this data dir, if one does: for the CLI and a separate projector process.
 */
export async function attachEmbeddedCluster(dataDir: string): Promise<EmbeddedCluster | undefined> {
  const clusterDir = path.join(dataDir, CLUSTER_DIR);
  const running = await runningPostmaster(clusterDir);
  if (!running) return undefined;
  const state = await loadClusterState(dataDir, clusterDir);
  return {
    server: undefined,
    ownerUrl: connectionUrl(OWNER_ROLE, state.ownerPassword, running.port, EMBEDDED_DATABASE),
    appUrl: connectionUrl(APP_ROLE, state.appPassword, running.port, EMBEDDED_DATABASE),
  };
}

/** Reads the cluster's state file, creating it (with fresh passwords) before the first initdb. */
export async function loadClusterState(dataDir: string, clusterDir: string): Promise<ClusterState> {
  const file = path.join(dataDir, CLUSTER_STATE_FILE);
  try {
    return JSON.parse(await readSecretFile(file)) as ClusterState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const initialised = await fs.access(path.join(clusterDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (initialised) {
    throw new Error(
      `${file} is missing, and with it the passwords of the cluster in ${clusterDir}. Restore the file, ` +
        `or delete ${clusterDir} to start from an empty database.`,
    );
  }
  const state: ClusterState = {
    superuserPassword: generateSecret(24),
    ownerPassword: generateSecret(24),
    appPassword: generateSecret(24),
  };
  await writeClusterState(dataDir, state);
  return state;
}

async function writeClusterState(dataDir: string, state: ClusterState): Promise<void> {
  const file = path.join(dataDir, CLUSTER_STATE_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await fs.rename(temporary, file);
}
