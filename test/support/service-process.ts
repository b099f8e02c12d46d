import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Child } from './child-processes.js';

/** The built service (apps/api/main.js) as a child process: what its users see of it. */

/** Waits for the lines `npm start` prints once it listens; throws with its output if it exits first. */
export async function started(server: Child, ms = 30_000): Promise<{ url: string; token: string }> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const url = /Tenantry is listening on (http:\/\/\S+)/.exec(server.stdout)?.[1];
    const token = /Operator token: (\S+)/.exec(server.stdout)?.[1];
    if (url && token) return { url, token };
    if (server.child.exitCode !== null) break;
    await sleep(20);
  }
  throw new Error(`the server did not start:\n${server.stdout}\n${server.stderr}`);
}

/** /ready's status: 0 when nothing answers. */
export async function readyStatus(url: string): Promise<number> {
  try {
    const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Polls /ready until it answers 200; throws after `ms`. Returns how long that took. */
export async function untilReady(url: string, ms = 30_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await readyStatus(url)) === 200) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${url} not ready within ${ms} ms`);
    await sleep(25);
  }
}

/** The service's JSON log lines. */
export function logLines(server: Child): Array<{ level: number; msg: string } & Record<string, unknown>> {
  return server.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });
}

/** The postmaster pid in `clusterDir`'s postmaster.pid, if there is that file. */
export async function postmasterPid(clusterDir: string): Promise<number | undefined> {
  const text = await fs.readFile(`${clusterDir}/postmaster.pid`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.split('\n')[0]);
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of processes whose command line names a directory under `dir` (Postgres gets `-D <cluster>`). */
export async function postgresProcesses(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('postgres') && cmdline.split('\0').some((arg) => arg.startsWith(dir)))
      pids.push(Number(entry));
  }
  return pids;
}

/** A JSON call to the service; `status` 0 when the connection failed. */
export async function call(
  url: string,
  method: string,
  route: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers | undefined }> {
  try {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  } catch {
    return { status: 0, body: null, headers: undefined };
  }
}
