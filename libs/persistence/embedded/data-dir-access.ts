import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

/** Postgres refuses to run as root: then it runs as the `postgres` OS user instead. */
export function runsPostgresAsOtherUser(): boolean {
  return process.getuid?.() === 0;
}

/** The embedded Postgres could not reach its cluster directory. Names the directory and the fix. */
export class DataDirNotReachableError extends Error {
  constructor(
    readonly directory: string,
    readonly mode: number,
    clusterDir: string,
  ) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    super(
      `The embedded Postgres cannot reach ${clusterDir}: as this process runs as root, Postgres runs as the ` +
        `OS user "postgres", and the directory ${directory} (mode ${octal}) does not let that user through. ` +
        `Fix: run "chmod o+x ${directory}", or set TENANTRY_DATA_DIR to a directory every user may traverse ` +
        '(e.g. under /var/lib or /tmp), or set DATABASE_URL to use an external Postgres.',
    );
    this.name = 'DataDirNotReachableError';
  }
}

/**
 * Checks, before initdb fails with a bare "Permission denied", that the
 * `postgres` OS user may traverse every directory above the cluster
 * directory (a clone under /root, mode 0700, is the usual trap).
 */
export async function assertReachableByPostgresUser(clusterDir: string): Promise<void> {
  const ids = await postgresUserIds();
  for (const directory of ancestors(path.resolve(clusterDir))) {
    let stat;
    try {
      stat = await fs.stat(directory);
    } catch {
      return; // not created yet: we create it, traversable (see ensureDataDir)
    }
    if (!canTraverse(stat, ids)) throw new DataDirNotReachableError(directory, stat.mode, clusterDir);
  }
}

/**
 * Opens the data directory to the `postgres` OS user (mode 0711: traverse,
 * not list) when it cannot get through and the directory is plainly ours:
 * owned by the user running the service, and holding nothing but what
 * Tenantry puts there (`isOwnEntry`). `mktemp -d` makes 0700 directories,
 * and someone who points TENANTRY_DATA_DIR at a fresh one asked for a
 * directory of our own, as `./.data` is. Anything else (a directory of
 * another user, or one holding other files) is left as it is: then
 * {@link assertReachableByPostgresUser} names it and the fix. Parents are
 * never changed.
 *
 * @returns true when it changed the mode (and logged so)
 */
export async function openDataDirToPostgresUser(
  dataDir: string,
  isOwnEntry: (name: string) => boolean,
  logger: Logger,
): Promise<boolean> {
  const directory = path.resolve(dataDir);
  const stat = await fs.stat(directory);
  if (canTraverse(stat, await postgresUserIds())) return false;
  if (stat.uid !== process.getuid?.()) return false;
  const foreign = (await fs.readdir(directory)).filter((name) => !isOwnEntry(name));
  if (foreign.length > 0) return false;
  // Only the execute bits are added: a 0700 directory becomes 0711, and nobody gains the right to list it.
  const mode = (stat.mode & 0o777) | 0o011;
  await fs.chmod(directory, mode);
  logger.info(
    { dataDir: directory, previousMode: octal(stat.mode), mode: octal(mode) },
    'made the data directory traversable for the postgres OS user, which runs the embedded Postgres',
  );
  return true;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

interface UserIds {
  readonly uid: number;
  readonly gids: readonly number[];
}

function canTraverse(stat: { uid: number; gid: number; mode: number }, ids: UserIds | undefined): boolean {
  if (ids && stat.uid === ids.uid) return (stat.mode & 0o100) !== 0;
  if (ids && ids.gids.includes(stat.gid)) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/** Every directory from the root down to the cluster directory's parent. */
function ancestors(dir: string): string[] {
  const result: string[] = [];
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    result.unshift(current);
    if (path.dirname(current) === current) return result;
  }
}

/** The `postgres` user's ids, or undefined when it does not exist yet (it is then created, in no group of ours). */
async function postgresUserIds(): Promise<UserIds | undefined> {
  const run = promisify(execFile);
  try {
    const [uid, groups] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-G', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gids: groups.stdout.trim().split(/\s+/).map(Number) };
  } catch {
    return undefined;
  }
}
