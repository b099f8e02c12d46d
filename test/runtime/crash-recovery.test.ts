import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { EmbeddedPostgres } from '../../libs/persistence/index.js';
import { buildForChildren, type Child, killChildren, spawnChild } from '../support/child-processes.js';
import {
  call,
  isRunning,
  logLines,
  postgresProcesses,
  postmasterPid,
  readyStatus,
  started,
  untilReady,
} from '../support/service-process.js';

/**
 * Issue 15, points 7 and 8: crash recovery with nobody acting. The built
 * service runs as a child process; the test kills it, or its Postgres, with
 * SIGKILL, as the OOM killer or an unlucky operator would.
 */
let build: string;
let root: string;

beforeAll(async () => {
  build = await buildForChildren(['apps', 'libs', 'projections']);
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-recovery-'));
  await fs.chmod(root, 0o711);
});

afterAll(async () => {
  for (const pid of await postgresProcesses(root)) process.kill(pid, 'SIGQUIT');
  await fs.rm(root, { recursive: true, force: true });
  if (build) await fs.rm(build, { recursive: true, force: true });
});

afterEach(killChildren);

const serve = (env: Record<string, string>): Child =>
  spawnChild(path.join(build, 'apps/api/main.js'), { env: { PORT: '0', ...env }, cwd: root });

async function registerUser(url: string, operator: string, name: string) {
  const answer = await call(url, 'POST', '/v1/users', operator, {
    email: `${name}@example.com`,
    displayName: name,
  });
  expect(answer.status).toBe(201);
  return { id: answer.body.user.id as string, token: answer.body.token as string };
}

interface Answer {
  readonly status: number;
  readonly code?: string;
  readonly retryAfter?: string | null;
}

/**
 * A client reading its profile and posting to a chat in a loop, four calls
 * at a time, until stopped: every answer it got. While Postgres is down a
 * call may answer 503 `DATABASE.UNAVAILABLE` or fail to connect (0), never
 * 500: the database being away is no failure of ours, and the client may retry.
 */
function loadLoop(url: string, who: { token: string }, messages: string) {
  let running = true;
  const answers: Answer[] = [];
  const record = ({ status, body, headers }: Awaited<ReturnType<typeof call>>) =>
    answers.push({ status, code: body?.code, retryAfter: headers?.get('retry-after') });
  const loop = (async () => {
    for (let turn = 0; running; turn++) {
      const reads = [1, 2, 3].map(() => call(url, 'GET', '/v1/users/me', who.token));
      const write = call(url, 'POST', messages, who.token, { body: `turn ${turn}` });
      for (const answer of await Promise.all([...reads, write])) record(answer);
      await sleep(5);
    }
  })();
  return {
    async stop(): Promise<Answer[]> {
      running = false;
      await loop;
      return answers;
    },
  };
}

/** A user with an org and a chat to post to: the write path reaches the event store. */
async function chatOf(url: string, who: { token: string }): Promise<string> {
  const org = await call(url, 'POST', '/v1/orgs', who.token, { slug: `crash-${Date.now()}`, name: 'Crash' });
  expect(org.status).toBe(201);
  const chat = await call(url, 'POST', `/v1/orgs/${org.body.org.id}/chats`, who.token, { title: 'load' });
  expect(chat.status).toBe(201);
  return `/v1/orgs/${org.body.org.id}/chats/${chat.body.chat.id}/messages`;
}

/** No 500 while Postgres was away: only successes, 503 DATABASE.UNAVAILABLE with Retry-After, or no connection. */
function expectNoFailureOfOurs(answers: readonly Answer[], server: Child): void {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  process.stdout.write(
    `load loop answers while Postgres went away and came back: ${JSON.stringify(counts)}\n`,
  );
  expect(answers.filter((a) => ![0, 200, 201, 503].includes(a.status))).toEqual([]);
  const unavailable = answers.filter((a) => a.status === 503);
  expect(unavailable.length).toBeGreaterThan(0);
  for (const answer of unavailable) {
    expect(answer).toEqual({ status: 503, code: 'DATABASE.UNAVAILABLE', retryAfter: '1' });
  }
  const logs = logLines(server);
  expect(logs).toContainEqual(
    expect.objectContaining({ level: 40, msg: 'Postgres is unavailable: answered 503' }),
  );
  expect(logs.filter((line) => line.msg === 'request failed')).toEqual([]);
}

async function untilGone(pid: number, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (isRunning(pid) && !(await isZombie(pid))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs`);
    await sleep(20);
  }
}

async function isZombie(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

describe('after kill -9 of the service', () => {
  it('a restart on the same data dir stops the orphaned postmaster and comes up with the data', async () => {
    const dataDir = path.join(root, 'killed-service');
    const first = serve({ TENANTRY_DATA_DIR: dataDir });
    const { url, token: operator } = await started(first);
    await untilReady(url);
    const ada = await registerUser(url, operator, 'ada');
    const orphan = (await postmasterPid(path.join(dataDir, 'postgres')))!;

    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    await sleep(200);
    expect(isRunning(orphan)).toBe(true); // what used to make the next start fail

    const second = serve({ TENANTRY_DATA_DIR: dataDir });
    const restarted = await started(second);
    await untilReady(restarted.url);
    await untilGone(orphan);
    expect(await postmasterPid(path.join(dataDir, 'postgres'))).not.toBe(orphan);
    expect(logLines(second)).toContainEqual(
      expect.objectContaining({
        level: 40,
        postmasterPid: orphan,
        msg: 'stopping the embedded Postgres left running by a Tenantry process that died',
      }),
    );
    expect((await call(restarted.url, 'GET', '/v1/users/me', ada.token)).status).toBe(200);
    expect((await registerUser(restarted.url, operator, 'bob')).id).toMatch(/^[0-9a-f-]{36}$/);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await postgresProcesses(dataDir)).toEqual([]);
  }, 90_000);

  it('still refuses to start while another live Tenantry process owns the cluster', async () => {
    const dataDir = path.join(root, 'owned');
    const owner = serve({ TENANTRY_DATA_DIR: dataDir });
    const { url } = await started(owner);
    await untilReady(url);
    const postmaster = await postmasterPid(path.join(dataDir, 'postgres'));

    const intruder = serve({ TENANTRY_DATA_DIR: dataDir });
    expect(await intruder.exited).toBe(1);
    expect(intruder.stderr).toMatch(/ClusterInUse|already runs on/);
    expect(intruder.stderr).toContain(`the Tenantry process ${owner.child.pid} that started it still runs`);
    expect(await postmasterPid(path.join(dataDir, 'postgres'))).toBe(postmaster);
    expect(await readyStatus(url)).toBe(200);

    owner.child.kill('SIGTERM');
    expect(await owner.exited).toBe(0);
  }, 90_000);

  it('never stops a postmaster Tenantry did not start: one started by hand on the data dir', async () => {
    const dataDir = path.join(root, 'by-hand');
    const first = serve({ TENANTRY_DATA_DIR: dataDir });
    await untilReady((await started(first)).url);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Someone starts the cluster by hand: the data dir's record names another postmaster.
    const state = JSON.parse(await fs.readFile(path.join(dataDir, 'embedded-postgres.json'), 'utf8'));
    const byHand = await EmbeddedPostgres.start({
      clusterDir: path.join(dataDir, 'postgres'),
      superuserPassword: state.superuserPassword,
      logger: pino({ level: 'silent' }),
    });
    try {
      const second = serve({ TENANTRY_DATA_DIR: dataDir });
      expect(await second.exited).toBe(1);
      expect(second.stderr).toContain('it is not the postmaster Tenantry last started on this data dir');
      expect(isRunning(byHand.pid)).toBe(true);
      const client = new pg.Client({ connectionString: byHand.superuserUrl() });
      await client.connect();
      await client.end();
    } finally {
      await byHand.stop();
    }
  }, 90_000);
});

describe('after kill -9 of the embedded postmaster', () => {
  it('the service stays up, answers 503 on /ready while Postgres is down, restarts it and is ready again', async () => {
    const dataDir = path.join(root, 'killed-postmaster');
    const server = serve({ TENANTRY_DATA_DIR: dataDir });
    const { url, token: operator } = await started(server);
    await untilReady(url);
    const ada = await registerUser(url, operator, 'ada');
    const messages = await chatOf(url, ada);
    const postmaster = (await postmasterPid(path.join(dataDir, 'postgres')))!;

    // Requests in flight when it dies: reads hold pool clients inside transactions, writes append.
    const load = loadLoop(url, ada, messages);
    await sleep(200);
    const killedAt = Date.now();
    const statuses: number[] = [];
    let answers: Answer[] = [];
    let recoveredMs: number | undefined;
    try {
      process.kill(postmaster, 'SIGKILL');
      while (Date.now() - killedAt < 30_000 && server.child.exitCode === null) {
        const status = await readyStatus(url);
        statuses.push(status);
        if (status === 200 && statuses.includes(503)) {
          recoveredMs = Date.now() - killedAt;
          break;
        }
        await sleep(10);
      }
    } finally {
      answers = await load.stop();
    }
    expect(statuses).toContain(503);
    expectNoFailureOfOurs(answers, server);
    expect(recoveredMs).toBeDefined();
    expect(server.child.exitCode).toBeNull();
    expect(await postmasterPid(path.join(dataDir, 'postgres'))).not.toBe(postmaster);

    // The data is there, and writes go through again.
    expect((await call(url, 'GET', '/v1/users/me', ada.token)).status).toBe(200);
    await registerUser(url, operator, 'bob');
    const logs = logLines(server);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'embedded Postgres exited unexpectedly: restarting it' }),
    );
    expect(logs).toContainEqual(expect.objectContaining({ level: 30, msg: 'embedded Postgres restarted' }));
    expect(logs).toContainEqual(expect.objectContaining({ level: 30, msg: 'Postgres answers again' }));
    process.stdout.write(`postmaster killed: ready again after ${recoveredMs} ms\n`);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await postgresProcesses(dataDir)).toEqual([]);
  }, 90_000);
});

describe('with DATABASE_URL, after kill -9 of that Postgres', () => {
  it('the service stays up, answers 503 on /ready, and reconnects when the server is back', async () => {
    const clusterDir = path.join(root, 'external', 'cluster');
    const superuserPassword = randomBytes(18).toString('base64url');
    const silent = pino({ level: 'silent' });
    let postgres = await EmbeddedPostgres.start({ clusterDir, superuserPassword, logger: silent });
    try {
      const admin = new pg.Client({ connectionString: postgres.superuserUrl() });
      await admin.connect();
      await admin.query('CREATE DATABASE tenantry');
      await admin.end();
      const server = serve({
        TENANTRY_DATA_DIR: path.join(root, 'external', 'data'),
        DATABASE_URL: postgres.superuserUrl('tenantry'),
        TENANTRY_APP_DB_PASSWORD: 'app-password-for-tests',
      });
      const { url, token: operator } = await started(server);
      await untilReady(url);
      const ada = await registerUser(url, operator, 'ada');
      const messages = await chatOf(url, ada);

      const port = postgres.port;
      const load = loadLoop(url, ada, messages);
      let answers: Answer[];
      try {
        await sleep(200);
        process.kill(postgres.pid, 'SIGKILL');
        await untilGone(postgres.pid);
        await sleep(1_500);
        expect(await readyStatus(url)).toBe(503);
        expect(server.child.exitCode).toBeNull();

        // The server comes back on the same address (its old backends may hold on for a moment).
        for (let attempt = 1; ; attempt++) {
          try {
            postgres = await EmbeddedPostgres.start({
              clusterDir,
              superuserPassword,
              logger: silent,
              requiredPort: port,
            });
            break;
          } catch (error) {
            if (attempt === 20) throw error;
            await sleep(250);
          }
        }
        await untilReady(url, 20_000);
      } finally {
        answers = await load.stop();
      }
      expectNoFailureOfOurs(answers, server);
      expect((await call(url, 'GET', '/v1/users/me', ada.token)).status).toBe(200);
      await registerUser(url, operator, 'bob');
      const logs = logLines(server);
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 50,
          msg: 'Postgres does not answer: reads and writes fail until it is back',
        }),
      );
      expect(logs).toContainEqual(expect.objectContaining({ level: 30, msg: 'Postgres answers again' }));

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await postgres.stop();
    }
  }, 90_000);
});
