import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PROJECTIONS } from '../../projections/index.js';
import { buildForChildren, type Child, killChildren, spawnChild } from '../support/child-processes.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Issue 15, point 8: the service died when its Postgres did, on the
 * 'error' event of a pg client nobody listened to. Here every kind of
 * connection the service holds is open in a child process, and Postgres
 * ends them all (57P01, as at a shutdown or a crash). The process must live
 * on, and every path must query again once Postgres answers.
 */
let build: string;
let testDatabase: TestDatabase;

beforeAll(async () => {
  build = await buildForChildren(['apps', 'libs', 'projections', 'test/runtime/support']);
  testDatabase = await createTestDatabase();
});

afterAll(async () => {
  await testDatabase?.drop();
  if (build) await fs.rm(build, { recursive: true, force: true });
});

afterEach(killChildren);

async function until(what: string, child: Child, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline || child.child.exitCode !== null) {
      throw new Error(`no ${what} (exit ${child.child.exitCode}):\n${child.stdout}\n${child.stderr}`);
    }
    await sleep(20);
  }
}

async function superuser<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabase.url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe('a pg client error', () => {
  it('never crashes the process: every connection the service holds is cut, and it queries again', async () => {
    const runner = spawnChild(path.join(build, 'test/runtime/support/pg-client-errors-runner.js'), {
      env: { DATABASE_URL: testDatabase.url, TENANTRY_APP_DB_PASSWORD: 'app-password-for-tests' },
    });
    await until('holding', runner, () => runner.stdout.includes('holding\n'));

    const sessions = await superuser(async (client) => {
      const { rows } = await client.query<{ application_name: string; state: string; query: string }>(
        `SELECT application_name, state, query FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      return rows;
    });
    // What is about to be cut: appliers, the LISTEN connection, clients idle inside transactions.
    expect(sessions.filter((s) => s.application_name.startsWith('tenantry-projection:')).length).toBe(
      PROJECTIONS.length,
    );
    expect(sessions.some((s) => /^LISTEN /.test(s.query))).toBe(true);
    expect(sessions.filter((s) => s.state === 'idle in transaction').length).toBeGreaterThanOrEqual(3);

    const cut = await superuser(async (client) => {
      const { rows } = await client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      return rows.length;
    });
    // A connection opened since the listing (a pool replacing one, the health check) is cut too.
    expect(cut).toBeGreaterThanOrEqual(sessions.length);
    await sleep(1_000);
    expect([runner.child.exitCode, runner.stderr]).toEqual([null, expect.not.stringContaining('Uncaught')]);

    runner.child.kill('SIGUSR2');
    await until('recovery', runner, () => runner.stdout.includes('recovered\n'));
    runner.child.kill('SIGTERM');
    const code = await runner.exited;
    // The signal and stderr show in a failure: how the process ended, not only that it did not exit 0.
    expect({ code, signal: runner.child.signalCode, stderr: runner.stderr }).toEqual({
      code: 0,
      signal: null,
      stderr: expect.any(String),
    });
    expect(runner.stdout).toContain('stopped\n');
  }, 90_000);
});
