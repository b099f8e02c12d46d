import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ClusterInUseError, runningPostmaster } from './embedded-postgres.js';
import { isAlive, processIdentity, type ProcessIdentity } from './process-identity.js';

/**
 * What the launcher writes in the data dir's state file each time it starts
 * the cluster: which postmaster it started and which process started it,
 * both as pid + start time (process-identity.ts), so neither can be mistaken
 * for a later process that was given the same pid.
 */
export interface PostmasterRecord {
  readonly postmaster: ProcessIdentity;
  readonly owner: ProcessIdentity;
}

/** How long an orphan gets for a fast shutdown, then for an immediate one. */
const STOP_GRACE_MS = 10_000;
const POLL_MS = 50;

/** The record of a postmaster this process has just started. */
export async function recordOf(postmasterPid: number): Promise<PostmasterRecord | undefined> {
  const [postmaster, owner] = await Promise.all([
    processIdentity(postmasterPid),
    processIdentity(process.pid),
  ]);
  return postmaster && owner ? { postmaster, owner } : undefined;
}

/**
 * Before starting the cluster: if a postmaster still runs on it, stops it
 * when it is provably this data dir's own orphan, and otherwise refuses
 * with {@link ClusterInUseError}.
 *
 * An orphan is the postmaster the record names (same pid, same start time,
 * same boot) whose owner, also named by the record, is gone: the Tenantry
 * process that started it was killed (kill -9, OOM) before it could stop
 * it. Anything else is left alone: a postmaster the record does not name
 * (started by hand, by an older version, or the record is missing or
 * unreadable), and one whose owner still runs (another live Tenantry process
 * on the same data dir). Without /proc (not Linux) nothing can be proven, so
 * it refuses as before.
 *
 * The orphan is stopped, not adopted: its log went to the dead process's
 * pipe, nothing would notice it exit, and its settings are the last start's.
 * A fast shutdown (SIGINT) ends its sessions, rolling back whatever the dead
 * process left open, and writes a checkpoint; an immediate one (SIGQUIT)
 * follows if that takes over 10 s (Postgres then recovers from its WAL at
 * the next start). Never SIGKILL: that would leave its backends on the
 * shared memory.
 */
export async function stopOrphanedPostmaster(
  clusterDir: string,
  record: PostmasterRecord | undefined,
  logger: Logger,
): Promise<void> {
  const running = await runningPostmaster(clusterDir);
  if (!running) return;
  const refuse = (reason: string) => new ClusterInUseError(clusterDir, running.pid, reason);
  const identity = await processIdentity(running.pid);
  if (!identity) throw refuse('this system cannot tell which process it is');
  if (!record) throw refuse('the data dir holds no record of which process started it');
  if (
    record.postmaster.pid !== identity.pid ||
    record.postmaster.startTicks !== identity.startTicks ||
    record.postmaster.bootId !== identity.bootId
  ) {
    throw refuse('it is not the postmaster Tenantry last started on this data dir');
  }
  if (record.owner.pid === process.pid || (await isAlive(record.owner))) {
    throw refuse(`the Tenantry process ${record.owner.pid} that started it still runs`);
  }

  logger.warn(
    { postmasterPid: identity.pid, deadOwnerPid: record.owner.pid, clusterDir },
    'stopping the embedded Postgres left running by a Tenantry process that died',
  );
  const started = Date.now();
  if (!(await signalAndWait(identity, 'SIGINT'))) {
    logger.warn(
      { postmasterPid: identity.pid },
      'the orphaned Postgres ignored the fast shutdown; sending SIGQUIT',
    );
    if (!(await signalAndWait(identity, 'SIGQUIT'))) {
      throw new Error(
        `The orphaned embedded Postgres (pid ${identity.pid}) on ${clusterDir} did not stop; stop it by hand.`,
      );
    }
  }
  logger.info(
    { postmasterPid: identity.pid, ms: Date.now() - started },
    'orphaned embedded Postgres stopped',
  );
}

/** Signals the process and waits for it to be gone; false if it still runs after the grace time. */
async function signalAndWait(identity: ProcessIdentity, signal: NodeJS.Signals): Promise<boolean> {
  try {
    process.kill(identity.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw error;
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!(await isAlive(identity))) return true;
    await sleep(POLL_MS);
  }
  return false;
}
