import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOAD_CHILD = fileURLToPath(new URL('../load-child.js', import.meta.url));

/**
 * Runs one job of `bench/load-child.ts` (autocannon, or B6's freshness loop)
 * in a process of its own, so the load generator's work never shows in the
 * service's event loop or CPU, and answers the JSON line it prints last.
 */
export async function runLoadChild<T>(job: object, env?: NodeJS.ProcessEnv): Promise<T> {
  const child = spawn(process.execPath, [LOAD_CHILD, JSON.stringify(job)], {
    ...(env ? { env } : {}),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the load child exited with ${code}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}
