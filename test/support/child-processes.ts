import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testHttpAdapter } from './http-adapter.js';

/**
 * Test support for tests that run our code in child processes, to kill them
 * with signals or to run them as their users do: a build of their own, and
 * children whose output is kept and who are SIGKILLed after each test.
 */
export const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Compiles `dirs` with SWC into a fresh directory and returns it. Never
 * dist/: tests must neither depend on nor overwrite it. Inside the repo so
 * node_modules resolve, and under node_modules so nothing else picks it up.
 */
export async function buildForChildren(dirs: readonly string[]): Promise<string> {
  const build = await fs.mkdtemp(path.join(repo, 'node_modules', '.cache-tenantry-test-build-'));
  execFileSync(
    process.execPath,
    [path.join(repo, 'node_modules/@swc/cli/bin/swc.js'), ...dirs, '-d', build, '--ignore', '**/*.test.ts'],
    { cwd: repo, stdio: 'pipe' },
  );
  return build;
}

export interface Child {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** The exit code; null when a signal ended it. */
  readonly exited: Promise<number | null>;
}

/** Children of the current test, SIGKILLed by {@link killChildren} (call it in afterEach). */
const running = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Runs `node script args` with only PATH and `env` in its environment: no
 * DATABASE_URL or NODE_OPTIONS leaking in from the test run. The one setting
 * passed on is the HTTP adapter the test run chose (test/support/http-adapter.ts).
 */
export function spawnChild(
  script: string,
  options: { args?: readonly string[]; env?: Record<string, string>; cwd?: string } = {},
): Child {
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TENANTRY_HTTP_ADAPTER: testHttpAdapter(),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const result: Child = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) =>
      child.once('exit', (code) => {
        running.delete(child);
        resolve(code);
      }),
    ),
  };
  child.stdout!.on('data', (chunk: Buffer) => (result.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (result.stderr += chunk.toString()));
  return result;
}
