import fs from 'node:fs/promises';
import os from 'node:os';

/**
 * Where a load figure's CPU went, on a machine whose few cores the service,
 * its Postgres and the load generator share: B8 compares two routes by
 * throughput, and on 2 cores a route that makes Postgres work is slower
 * even when the service itself spends no more on it. These counters say how
 * much of a request each party paid for.
 *
 * Postgres's share is read from /proc (every process whose parent is the
 * postmaster, and the postmaster): on a system without /proc it is null,
 * and so is the machine's. A backend that ends between two readings takes
 * its time with it (it lands in `rest`); the load figures keep their
 * connections open, so their backends live through the run.
 */
export interface CpuCounters {
  /** This process (the service under test, every thread), µs. */
  readonly serviceMicros: number;
  /** The postmaster and its children (the backends, the WAL writer, the checkpointer): µs by pid; null without /proc. */
  readonly postgresMicros: ReadonlyMap<number, number> | null;
  /** Every core of the machine, busy time, µs; null without /proc. */
  readonly machineMicros: number | null;
}

/** Clock ticks per second of /proc's counters (USER_HZ): 100 on every Linux Node supports. */
const TICKS_PER_SECOND = 100;
const MICROS_PER_TICK = 1_000_000 / TICKS_PER_SECOND;

export async function readCpuCounters(postmasterPid: number): Promise<CpuCounters> {
  const service = process.cpuUsage();
  const [postgresTicks, machineTicks] = await Promise.all([
    processTreeTicks(postmasterPid),
    machineBusyTicks(),
  ]);
  return {
    serviceMicros: service.user + service.system,
    postgresMicros:
      postgresTicks === null
        ? null
        : new Map([...postgresTicks].map(([pid, ticks]) => [pid, ticks * MICROS_PER_TICK])),
    machineMicros: machineTicks === null ? null : machineTicks * MICROS_PER_TICK,
  };
}

export interface CpuPerRequest {
  readonly service: number;
  readonly postgres: number | null;
  /** The load generator (its own process.cpuUsage()). */
  readonly loadGenerator: number;
  /** Everything else busy on the machine: the kernel's interrupts, other processes. */
  readonly rest: number | null;
  readonly machine: number | null;
}

/**
 * µs of each party per request between two readings, given what the load
 * generator says it spent.
 */
export function cpuPerRequest(
  before: CpuCounters,
  after: CpuCounters,
  load: { readonly requests: number; readonly cpuMicros: number },
): CpuPerRequest {
  const per = (micros: number) => Math.round(micros / Math.max(1, load.requests));
  const service = per(after.serviceMicros - before.serviceMicros);
  const loadGenerator = per(load.cpuMicros);
  let postgres: number | null = null;
  if (before.postgresMicros && after.postgresMicros) {
    let spent = 0;
    for (const [pid, micros] of after.postgresMicros) spent += micros - (before.postgresMicros.get(pid) ?? 0);
    postgres = per(spent);
  }
  const machine =
    before.machineMicros === null || after.machineMicros === null
      ? null
      : per(after.machineMicros - before.machineMicros);
  return {
    service,
    postgres,
    loadGenerator,
    rest:
      machine === null || postgres === null
        ? null
        : Math.max(0, machine - service - postgres - loadGenerator),
    machine,
  };
}

/** utime + stime of the postmaster and each of its live children, in ticks, by pid. */
async function processTreeTicks(rootPid: number): Promise<Map<number, number> | null> {
  let pids: string[];
  try {
    pids = (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const stats = await Promise.all(pids.map((pid) => readStat(pid)));
  const ticks = new Map<number, number>();
  for (const stat of stats) {
    if (stat && (stat.pid === rootPid || stat.parentPid === rootPid)) ticks.set(stat.pid, stat.ticks);
  }
  return ticks;
}

async function readStat(pid: string): Promise<{ pid: number; parentPid: number; ticks: number } | null> {
  try {
    const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name: state, ppid (4th field of the line), …, utime (14th), stime (15th).
    return { pid: Number(pid), parentPid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null; // it ended between the listing and the read
  }
}

/**
 * Busy time of every core, in ticks: /proc/stat's first line without idle,
 * iowait and steal (time the hypervisor gave to another machine).
 */
async function machineBusyTicks(): Promise<number | null> {
  if (os.platform() !== 'linux') return null;
  try {
    const line = (await fs.readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal (guest time is already in user).
    const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
    return user! + nice! + system! + irq! + softirq!;
  } catch {
    return null;
  }
}
