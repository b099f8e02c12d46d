export * from './database.js';
export { isDatabaseUnavailable } from './database-unavailable.js';
export * from './migrate.js';
export * from './roles.js';
export { ClusterInUseError, EmbeddedPostgres, runningPostmaster } from './embedded/embedded-postgres.js';
export { DataDirNotReachableError } from './embedded/data-dir-access.js';
export { CLUSTER_DIR, CLUSTER_STATE_FILE, startEmbeddedCluster } from './embedded/embedded-cluster.js';
export { coalesceWrites } from './pg-clients.js';
export * from './tenancy.js';
