import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import {
  DataDirNotReachableError,
  assertReachableByPostgresUser,
} from '../../libs/persistence/embedded/data-dir-access.js';
import { startEmbeddedCluster } from '../../libs/persistence/embedded/embedded-cluster.js';
import {
  APP_ROLE,
  CLUSTER_DIR,
  CLUSTER_STATE_FILE,
  ClusterInUseError,
  type Database,
  EmbeddedPostgres,
  OWNER_ROLE,
  openDatabase,
  runMigrations,
  runningPostmaster,
  verifyAppRole,
} from '../../libs/persistence/index.js';
import { MIGRATIONS } from '../../libs/persistence/migrations/index.js';

const silent = pino({ level: 'silent' });

/** A temporary directory the `postgres` OS user may traverse (mkdtemp makes 0700 ones). */
async function tempRoot(): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-embedded-'));
  await fs.chmod(root, 0o711);
  return root;
}

describe('the embedded Postgres (no DATABASE_URL)', () => {
  let root: string;
  let dataDir: string;
  let database: Database;

  beforeAll(async () => {
    root = await tempRoot();
    dataDir = path.join(root, 'data');
    database = await openDatabase({ dataDir, databaseUrl: undefined, appDbPassword: undefined }, silent);
  });
  afterAll(async () => {
    await database?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('starts a cluster in the data dir and migrates it once', async () => {
    expect(database.mode).toBe('embedded');
    expect(await runMigrations(database.ownerPool, database.owner)).toEqual(
      MIGRATIONS.map((migration) => new migration().name),
    );
    expect(await runMigrations(database.ownerPool, database.owner)).toEqual([]);
    const { rows } = await database.ownerPool.query(
      `SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'eventstore'`,
    );
    expect(rows).toEqual([{ owner: OWNER_ROLE }]);
  });

  it('runs queries as tenantry_app: no superuser, no BYPASSRLS, owning nothing', async () => {
    const { rows: whoami } = await database.appPool.query('SELECT current_user AS name');
    expect(whoami[0].name).toBe(APP_ROLE);
    const { rows } = await database.ownerPool.query(
      `SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
              (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS relations,
              (SELECT count(*)::int FROM pg_namespace WHERE nspowner = r.oid) AS schemas,
              (SELECT count(*)::int FROM pg_proc WHERE proowner = r.oid) AS functions,
              (SELECT count(*)::int FROM pg_database WHERE datdba = r.oid) AS databases
         FROM pg_roles r WHERE r.rolname = $1`,
      [APP_ROLE],
    );
    expect(rows).toEqual([
      {
        rolsuper: false,
        rolbypassrls: false,
        rolcreaterole: false,
        rolcreatedb: false,
        relations: 0,
        schemas: 0,
        functions: 0,
        databases: 0,
      },
    ]);
  });

  it('migrates as tenantry_owner, which is no superuser either', async () => {
    const { rows } = await database.ownerPool.query(
      'SELECT current_user AS name, rolsuper FROM pg_roles WHERE rolname = current_user',
    );
    expect(rows).toEqual([{ name: OWNER_ROLE, rolsuper: false }]);
  });

  it('gives tenantry_app nothing on the event log (queries never read it)', async () => {
    await expect(database.appPool.query('SELECT * FROM eventstore.events')).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('keeps the cluster passwords in a 0600 file', async () => {
    const stat = await fs.stat(path.join(dataDir, CLUSTER_STATE_FILE));
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('refuses an app role that could bypass row-level security', async () => {
    const state = JSON.parse(await fs.readFile(path.join(dataDir, CLUSTER_STATE_FILE), 'utf8'));
    const superuser = new pg.Client({
      connectionString: `postgres://postgres:${state.superuserPassword}@127.0.0.1:${database.embedded!.port}/tenantry`,
    });
    await superuser.connect();
    try {
      await superuser.query(`ALTER ROLE ${APP_ROLE} BYPASSRLS`);
      await expect(verifyAppRole(database.ownerPool)).rejects.toThrow(/has BYPASSRLS/);
      await superuser.query(`ALTER ROLE ${APP_ROLE} NOBYPASSRLS`);
      await superuser.query(
        `CREATE TABLE owned_by_app (x int); ALTER TABLE owned_by_app OWNER TO ${APP_ROLE}`,
      );
      await expect(verifyAppRole(database.ownerPool)).rejects.toThrow(/owns \d+ objects/);
      await superuser.query('DROP TABLE owned_by_app');
      await expect(verifyAppRole(database.ownerPool)).resolves.toBeUndefined();
    } finally {
      await superuser.end();
    }
  });

  it('refuses a second process on the same data dir, which may attach instead', async () => {
    await expect(
      openDatabase({ dataDir, databaseUrl: undefined, appDbPassword: undefined }, silent),
    ).rejects.toThrow(ClusterInUseError);
    const attached = await openDatabase(
      { dataDir, databaseUrl: undefined, appDbPassword: undefined },
      silent,
      {
        attachToRunning: true,
      },
    );
    expect(attached.mode).toBe('attached');
    await attached.close();
    // Closing the attached one left the cluster running.
    await expect(database.ping()).resolves.toBeUndefined();
  });

  it('stops cleanly and idempotently; a second start keeps the data and the passwords', async () => {
    const clusterDir = path.join(dataDir, CLUSTER_DIR);
    const statePath = path.join(dataDir, CLUSTER_STATE_FILE);
    await runMigrations(database.ownerPool, database.owner);
    await database.ownerPool.query(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`);
    const before = JSON.parse(await fs.readFile(statePath, 'utf8'));
    const postmaster = await runningPostmaster(clusterDir);
    expect(postmaster).toBeDefined();

    await database.close();
    await database.close();
    expect(await runningPostmaster(clusterDir)).toBeUndefined();
    expect(() => process.kill(postmaster!.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));

    database = await openDatabase({ dataDir, databaseUrl: undefined, appDbPassword: undefined }, silent);
    const { rows } = await database.ownerPool.query('SELECT v FROM kept');
    expect(rows).toEqual([{ v: 'still here' }]);
    const after = JSON.parse(await fs.readFile(statePath, 'utf8'));
    expect({ ...after, port: undefined }).toEqual({ ...before, port: undefined });
    expect(await runMigrations(database.ownerPool, database.owner)).toEqual([]);
  });
});

describe('the data dir check', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempRoot();
    await fs.mkdir(path.join(root, 'private'), { mode: 0o700 });
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('names the directory the postgres OS user cannot traverse, and the fix', async () => {
    const clusterDir = path.join(root, 'private', 'data', 'postgres');
    const error = await assertReachableByPostgresUser(clusterDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirNotReachableError);
    expect(error).toMatchObject({ directory: path.join(root, 'private') });
    expect((error as Error).message).toContain(`chmod o+x ${path.join(root, 'private')}`);
    expect((error as Error).message).toContain('TENANTRY_DATA_DIR');
    await expect(assertReachableByPostgresUser(path.join(root, 'open', 'postgres'))).resolves.toBeUndefined();
  });

  // Only as root does Postgres run as another user (the `postgres` one).
  (process.getuid?.() === 0 ? it : it.skip)('stops the embedded start before initdb', async () => {
    const start = EmbeddedPostgres.start({
      clusterDir: path.join(root, 'private', 'data', 'postgres'),
      superuserPassword: 'unused',
      logger: silent,
    });
    await expect(start).rejects.toThrow(DataDirNotReachableError);
  });
});

/**
 * A data dir made by `mktemp -d` (mode 0700), as root: Postgres runs as the
 * `postgres` OS user, which could not enter it. Only as root does that happen.
 */
(process.getuid?.() === 0 ? describe : describe.skip)('a data dir of mode 0700, as root', () => {
  let root: string;
  const lines: Array<{ msg: string; dataDir?: string; mode?: string; previousMode?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const opened = (dir: string) =>
    lines.filter((line) => line.dataDir === dir && /traversable/.test(line.msg));

  beforeAll(async () => {
    root = await tempRoot();
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  async function privateDir(name: string, files: readonly string[] = []): Promise<string> {
    const dir = path.join(root, name);
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.chmod(dir, 0o700);
    for (const file of files) await fs.writeFile(path.join(dir, file), 'x\n', { mode: 0o600 });
    return dir;
  }

  it('is made traversable (0711) when empty and ours, says so in the log, and the cluster starts', async () => {
    const dataDir = await privateDir('fresh');
    const cluster = await startEmbeddedCluster(dataDir, logger);
    try {
      expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o711);
      expect(opened(dataDir)).toEqual([
        expect.objectContaining({ previousMode: '0700', mode: '0711', level: 30 }),
      ]);
    } finally {
      await cluster.server?.stop();
    }
  });

  it('is made traversable when it holds only what Tenantry put there (the operator token)', async () => {
    const dataDir = await privateDir('token-only', ['operator-token']);
    const cluster = await startEmbeddedCluster(dataDir, logger);
    try {
      expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o711);
      expect(opened(dataDir)).toHaveLength(1);
    } finally {
      await cluster.server?.stop();
    }
  });

  it('is left alone, with the error naming it, when it holds anything else', async () => {
    const dataDir = await privateDir('with-notes', ['operator-token', 'notes.txt']);
    const error = await startEmbeddedCluster(dataDir, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirNotReachableError);
    expect(error).toMatchObject({ directory: dataDir });
    expect((error as Error).message).toContain(`chmod o+x ${dataDir}`);
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(opened(dataDir)).toEqual([]);
  });

  it('is left alone, with the error naming it, when another user owns it', async () => {
    const dataDir = await privateDir('theirs');
    await fs.chown(dataDir, 4242, 4242);
    const error = await startEmbeddedCluster(dataDir, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirNotReachableError);
    expect(error).toMatchObject({ directory: dataDir });
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
  });

  it('never opens a parent: an empty data dir under a 0700 parent still fails, naming the parent', async () => {
    const parent = await privateDir('locked-parent');
    const dataDir = path.join(parent, 'data');
    const error = await startEmbeddedCluster(dataDir, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirNotReachableError);
    expect(error).toMatchObject({ directory: parent });
    expect((await fs.stat(parent)).mode & 0o777).toBe(0o700);
  });
});
