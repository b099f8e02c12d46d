import fs from 'node:fs/promises';

/**
 * A process as the kernel knows it: its pid, and when it started (clock
 * ticks after boot, field 22 of /proc/<pid>/stat) in which boot. A pid alone
 * names a process only while it lives: once it exits, the kernel may hand the
 * number to any other process. The start time tells a reused pid apart.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTicks: string;
  readonly bootId: string;
}

/**
 * The identity of the live process `pid`; undefined when there is none, it
 * is a zombie (exited, not yet reaped), or /proc cannot tell (not Linux, or
 * /proc mounted with hidepid): then nothing can be proven about it.
 */
export async function processIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  const [stat, bootId] = await Promise.all([
    fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined),
    currentBootId(),
  ]);
  if (stat === undefined || bootId === undefined) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  if (state === undefined || startTicks === undefined || state === 'Z' || state === 'X') return undefined;
  return { pid, startTicks, bootId };
}

/** Whether `identity` still names a live process: same pid, same start, same boot. */
export async function isAlive(identity: ProcessIdentity): Promise<boolean> {
  const now = await processIdentity(identity.pid);
  return now?.startTicks === identity.startTicks && now.bootId === identity.bootId;
}

/** The command line of `pid` (arguments split), or undefined if it cannot be read. */
export async function commandLine(pid: number): Promise<string[] | undefined> {
  const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return raw?.split('\0').filter((arg) => arg !== '');
}

let bootId: Promise<string | undefined> | undefined;

function currentBootId(): Promise<string | undefined> {
  bootId ??= fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  return bootId;
}
