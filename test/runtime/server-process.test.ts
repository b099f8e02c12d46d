import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildForChildren, type Child, killChildren, spawnChild } from '../support/child-processes.js';

/**
 * The service as its users run it: the built entry points in a child
 * process, with nothing but a data dir configured (DESIGN.md §3). Signals go
 * to the node process alone, as a supervisor (systemd, docker) sends them,
 * so Postgres stops only if the service stops it.
 */
let build: string;
let root: string;

beforeAll(async () => {
  build = await buildForChildren(['apps', 'libs', 'projections']);
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-process-'));
  await fs.chmod(root, 0o711);
});

afterAll(async () => {
  for (const pid of await postgresProcesses(root)) process.kill(pid, 'SIGQUIT');
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(build, { recursive: true, force: true });
});

afterEach(killChildren);

const run = (entry: 'api' | 'cli', args: string[], env: Record<string, string>): Child =>
  spawnChild(path.join(build, 'apps', entry, 'main.js'), { args, env, cwd: root });

async function started(server: Child): Promise<{ url: string; token: string }> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const url = /Tenantry is listening on (http:\/\/\S+)/.exec(server.stdout)?.[1];
    const token = /Operator token: (\S+)/.exec(server.stdout)?.[1];
    if (url && token) return { url, token };
    if (server.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the server did not start:\n${server.stdout}\n${server.stderr}`);
}

/**
 * /ready's status once it is 200, or its last status after `ms`: the API
 * listens at once, and is ready when its projections have caught up.
 */
async function readyWithin(url: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { status } = await fetch(`${url}/ready`);
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Pids of processes whose command line names a directory under `dir` (Postgres gets `-D <cluster>`). */
async function postgresProcesses(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('postgres') && cmdline.split('\0').some((arg) => arg.startsWith(dir)))
      pids.push(Number(entry));
  }
  return pids;
}

describe('npm start with no configuration (the embedded default)', () => {
  let dataDir: string;
  let firstToken: string;
  beforeAll(() => {
    dataDir = path.join(root, 'data');
  });

  it('starts Postgres and the API, prints the URL and the token, and stops Postgres on SIGINT', async () => {
    const server = run('api', [], { TENANTRY_DATA_DIR: dataDir, PORT: '0' });
    const { url, token } = await started(server);
    firstToken = token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(await readyWithin(url, 15_000)).toBe(200);
    expect(await postgresProcesses(dataDir)).not.toEqual([]);
    // The token is printed for people, never logged (only its prefix is).
    const logLines = server.stdout.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.join('\n')).not.toContain(token);
    expect(logLines.join('\n')).toContain(token.slice(0, 8));

    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    expect(await postgresProcesses(dataDir)).toEqual([]);
    await expect(fs.access(path.join(dataDir, 'postgres', 'postmaster.pid'))).rejects.toThrow();
  });

  it('reuses the data and the token on a second start, and stops Postgres on SIGTERM', async () => {
    const server = run('api', [], { TENANTRY_DATA_DIR: dataDir, PORT: '0' });
    const { url, token } = await started(server);
    expect(token).toBe(firstToken);
    expect(server.stdout).not.toContain('initialising the embedded Postgres cluster');
    expect(await readyWithin(url, 15_000)).toBe(200);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(await postgresProcesses(dataDir)).toEqual([]);
  });

  it('lets the CLI print the same operator token', async () => {
    const plain = run('cli', ['operator-token'], { TENANTRY_DATA_DIR: dataDir });
    expect(await plain.exited).toBe(0);
    expect(plain.stdout).toBe(`${firstToken}\n`);

    const json = run('cli', ['--json', 'operator-token'], { TENANTRY_DATA_DIR: dataDir });
    expect(await json.exited).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      token: firstToken,
      source: 'data-dir',
      file: path.join(dataDir, 'operator-token'),
    });
  });
});

describe("a sub-chat over the running service: the root's owner owns it, createdBy names its creator", () => {
  it('answers so to POST, GET …/chats/{id} and the list', async () => {
    const server = run('api', [], { TENANTRY_DATA_DIR: path.join(root, 'sub-chats'), PORT: '0' });
    const { url, token: operator } = await started(server);
    let position: string | undefined;
    const call = async (method: string, route: string, token: string, body?: unknown) => {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(position ? { 'x-consistency-token': position } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      position = response.headers.get('x-consistency-token') ?? position;
      return { status: response.status, body: (await response.json()) as any };
    };
    const register = async (displayName: string) => {
      const email = `${displayName.toLowerCase()}@example.com`;
      const answer = await call('POST', '/v1/users', operator, { email, displayName });
      expect(answer.status).toBe(201);
      return { id: answer.body.user.id as string, token: answer.body.token as string };
    };
    const [ada, adam] = [await register('Ada'), await register('Adam')];
    const org = await call('POST', '/v1/orgs', ada.token, { slug: 'acme', name: 'Acme' });
    expect(org.status).toBe(201);
    expect((await call('PUT', `/v1/orgs/acme/members/${adam.id}`, ada.token, { role: 'admin' })).status).toBe(
      201,
    );
    const rootChat = await call('POST', '/v1/orgs/acme/chats', ada.token, { title: "Ada's" });
    const sub = await call('POST', '/v1/orgs/acme/chats', adam.token, {
      title: "Adam's, under Ada's",
      parentChatId: rootChat.body.chat.id,
    });
    expect(sub.status).toBe(201);
    expect(sub.body.chat).toMatchObject({ ownerId: ada.id, createdById: adam.id });

    const shown = await call('GET', `/v1/orgs/acme/chats/${sub.body.chat.id}`, adam.token);
    expect(shown.status).toBe(200);
    expect(shown.body.chat).toMatchObject({
      owner: { id: ada.id, displayName: 'Ada' },
      createdBy: { id: adam.id, displayName: 'Adam' },
    });
    const listed = await call('GET', '/v1/orgs/acme/chats', ada.token);
    expect(listed.body.items.map((item: any) => [item.owner.id, item.createdBy.id])).toEqual([
      [ada.id, ada.id],
      [ada.id, adam.id],
    ]);
    expect(JSON.stringify([sub.body, shown.body, listed.body])).not.toContain('@');

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

// Only as root does Postgres run as another OS user, which `mktemp -d`'s mode 0700 would shut out.
(process.getuid?.() === 0 ? describe : describe.skip)(
  'npm start with TENANTRY_DATA_DIR=$(mktemp -d), as root',
  () => {
    it('makes the fresh directory traversable (0711), says so in the log, and serves', async () => {
      const dataDir = await fs.mkdtemp(path.join(root, 'mktemp-'));
      expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
      const server = run('api', [], { TENANTRY_DATA_DIR: dataDir, PORT: '0' });
      const { url } = await started(server);
      expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o711);
      const logs = server.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; dataDir?: string; mode?: string });
      expect(logs).toContainEqual(
        expect.objectContaining({ msg: expect.stringContaining('traversable'), dataDir, mode: '0711' }),
      );
      expect(await readyWithin(url, 15_000)).toBe(200);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(await postgresProcesses(dataDir)).toEqual([]);
    });
  },
);

describe('the CLI without a token to show', () => {
  it('says where the token comes from when the environment sets it', async () => {
    const token = 'operator-token-set-in-the-environment-000000';
    const cli = run('cli', ['--json', 'operator-token'], { TENANTRY_OPERATOR_TOKEN: token });
    expect(await cli.exited).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ token, source: 'environment', file: null });
  });

  it('fails with a JSON error, and creates nothing, before the service ever ran', async () => {
    const empty = path.join(root, 'never-started');
    const cli = run('cli', ['--json', 'operator-token'], { TENANTRY_DATA_DIR: empty });
    expect(await cli.exited).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({ error: { code: 'no-operator-token' } });
    await expect(fs.access(empty)).rejects.toThrow();
  });
});

describe('startup errors', () => {
  it('refuses a bad environment before starting anything', async () => {
    const server = run('api', [], { TENANTRY_DATA_DIR: path.join(root, 'bad-env'), PORT: 'eighty' });
    expect(await server.exited).toBe(1);
    expect(server.stderr).toContain('PORT must be an integer');
  });

  // Only as root does Postgres run as another OS user, which needs to traverse the data dir's parents.
  (process.getuid?.() === 0 ? it : it.skip)(
    'names a data dir the postgres user cannot reach, and the fix',
    async () => {
      const locked = path.join(root, 'locked');
      await fs.mkdir(locked, { mode: 0o700 });
      const server = run('api', [], { TENANTRY_DATA_DIR: path.join(locked, 'data'), PORT: '0' });
      expect(await server.exited).toBe(1);
      expect(server.stderr).toContain(`chmod o+x ${locked}`);
      expect(await postgresProcesses(locked)).toEqual([]);
    },
  );
});
