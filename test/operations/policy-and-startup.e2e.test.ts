import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { createLogger, installProjections, startProjector } from '../../libs/runtime/index.js';
import { EXIT, type OpsRuntime, projectionsRebuild, projectionsStatus } from '../../apps/cli/projections.js';
import { ACCESS_POLICY } from '../../libs/authz/policy.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import {
  installProjection,
  ProjectionRunner,
  type ProjectionStatus,
  ProjectionVersionMismatch,
  readCheckpoints,
} from '../../libs/projection-runtime/index.js';
import { PROJECTIONS } from '../../projections/index.js';
import { messagesProjection } from '../../projections/messages/index.js';
import { type ApiAnswer, type E2eApp, OPERATOR_TOKEN, startE2eApp } from '../e2e/support/e2e-app.js';
import { buildForChildren, killChildren, spawnChild } from '../support/child-processes.js';
import { call as callService, logLines, started, untilReady } from '../support/service-process.js';
import { createTestDatabase } from '../support/test-database.js';

interface Person {
  readonly id: string;
  readonly token: string;
}

const silent = pino({ level: 'silent' });

describe('policy versions and start-up after what operators do (issue 14)', () => {
  let app: E2eApp;
  let superuser: pg.Pool;
  let olga: Person;
  let bob: Person;
  let orgId: string;
  let chatId: string;

  const runtime = (): OpsRuntime => ({
    eventStore: app.eventStore,
    ownerPool: app.database.ownerPool,
    appPool: app.database.appPool,
    logger: silent,
  });
  const call = async (who: Person, method: string, url: string, body?: unknown): Promise<ApiAnswer> => {
    const answer = await app.request(method, url, {
      token: who.token,
      ...(body === undefined ? {} : { body }),
    });
    if (answer.status >= 300)
      throw new Error(`${method} ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer;
  };
  const status = async (): Promise<Map<string, ProjectionStatus>> => {
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    expect(await projectionsStatus(runtime(), { stdout, stderr: new PassThrough(), json: true })).toBe(
      EXIT.ok,
    );
    return new Map((JSON.parse(text).projections as ProjectionStatus[]).map((p) => [p.name, p]));
  };

  beforeAll(async () => {
    app = await startE2eApp();
    superuser = new pg.Pool({ connectionString: app.databaseUrl, max: 2 });
    olga = await app.registerUser('Olga');
    bob = await app.registerUser('Bob');
    orgId = (await call(olga, 'POST', '/v1/orgs', { slug: `policy-${Date.now()}`, name: 'P' })).body.org.id;
    await call(olga, 'PUT', `/v1/orgs/${orgId}/members/${bob.id}`, { role: 'member' });
    chatId = (await call(olga, 'POST', `/v1/orgs/${orgId}/chats`, { title: 'shared' })).body.chat.id;
    await call(olga, 'PATCH', `/v1/orgs/${orgId}/chats/${chatId}/acl`, { users: { [bob.id]: 'viewer' } });
  }, 120_000);
  afterEach(() => killChildren());
  afterAll(async () => {
    await superuser?.end();
    await app?.close();
  });

  it('a policy change (ACL viewers lose read): chat-access stale in status, the admin route and the startup log, the others not; rebuilt, it answers by the new rule', async () => {
    const bobsList = async () =>
      (await app.request('GET', `/v1/orgs/${orgId}/chats`, { token: bob.token })).body.items.length as number;
    expect(await bobsList()).toBe(1);
    const before = await status();
    expect([...before.values()].filter((p) => p.stale)).toEqual([]);
    expect(before.get('chat-access')).toMatchObject({ policyVersion: 1, currentPolicyVersion: 1 });
    expect(before.get('chats')).toMatchObject({ policyVersion: null, currentPolicyVersion: null });

    // The policy in libs/authz changes, as a deploy of new code would change it.
    const policy = ACCESS_POLICY as { version: number; aclRoles: Record<string, readonly string[]> };
    const released = { version: policy.version, viewer: policy.aclRoles.viewer! };
    policy.version = released.version + 1;
    policy.aclRoles.viewer = [];
    try {
      const stale = await status();
      expect([...stale.values()].filter((p) => p.stale).map((p) => p.name)).toEqual(['chat-access']);
      expect(stale.get('chat-access')).toMatchObject({ policyVersion: 1, currentPolicyVersion: 2 });

      const admin = await app.request('GET', '/v1/admin/projections', { token: OPERATOR_TOKEN });
      expect(admin.status).toBe(200);
      expect(
        admin.body.projections
          .filter((p: { stale: boolean }) => p.stale)
          .map((p: { name: string }) => p.name),
      ).toEqual(['chat-access']);

      const logs: Array<Record<string, unknown>> = [];
      await installProjections(
        app.database.ownerPool,
        createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) }),
      );
      const staleLines = logs.filter((l) => String(l.msg).includes('stale'));
      expect(staleLines).toHaveLength(1);
      expect(staleLines[0]!.projections).toEqual([{ name: 'chat-access', builtUnder: 1, policyVersion: 2 }]);

      // Still the old answers until rebuilt: the read model says what it was built under.
      expect(await bobsList()).toBe(1);

      const stdout = new PassThrough();
      expect(
        await projectionsRebuild(
          runtime(),
          'chat-access',
          {},
          { stdout, stderr: new PassThrough(), json: true },
        ),
      ).toBe(EXIT.ok);

      const after = await status();
      expect([...after.values()].filter((p) => p.stale)).toEqual([]);
      expect(after.get('chat-access')).toMatchObject({ policyVersion: 2, currentPolicyVersion: 2 });
      expect(await bobsList()).toBe(0);
      expect(
        (await app.request('GET', `/v1/orgs/${orgId}/chats/${chatId}`, { token: bob.token })).status,
      ).toBe(404);
      expect(
        (await app.request('GET', `/v1/orgs/${orgId}/chats/${chatId}`, { token: olga.token })).status,
      ).toBe(200);
    } finally {
      policy.version = released.version;
      policy.aclRoles.viewer = released.viewer;
    }
    // Back to the released policy: stale again until rebuilt, then Bob reads again.
    expect((await status()).get('chat-access')!.stale).toBe(true);
    await projectionsRebuild(
      runtime(),
      'chat-access',
      {},
      { stdout: new PassThrough(), stderr: new PassThrough(), json: true },
    );
    expect(await bobsList()).toBe(1);
  }, 60_000);

  it('starts after the checkpoint rows were deleted by hand: rebuilds beside the live tables, which keep serving', async () => {
    await app.stopProjector();
    await superuser.query('DELETE FROM projection.checkpoints');
    // What used to fail with `relation "users" already exists`.
    await installProjections(app.database.ownerPool, silent);
    expect(
      (
        await readCheckpoints(
          app.database.ownerPool,
          PROJECTIONS.map((p) => p.name),
        )
      ).size,
    ).toBe(0);

    let stop = false;
    const problems: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const list = await app.request('GET', `/v1/orgs/${orgId}/chats`, {
          token: bob.token,
          consistent: false,
        });
        if (list.status !== 200 || list.body.items.length !== 1)
          problems.push(`${list.status} ${JSON.stringify(list.body)}`);
      }
    })();
    const projector = startProjector({ eventStore: app.eventStore, database: app.database }, silent, {
      lockRetryMs: 50,
    });
    try {
      const head = await app.eventStore.headPosition();
      const deadline = Date.now() + 30_000;
      for (;;) {
        const rows = await readCheckpoints(
          app.database.ownerPool,
          PROJECTIONS.map((p) => p.name),
        );
        if (rows.size === PROJECTIONS.length && [...rows.values()].every((c) => c.position >= head)) break;
        if (Date.now() > deadline) throw new Error(`not rebuilt: ${JSON.stringify([...rows.values()])}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      stop = true;
      await reader;
    }
    expect(problems).toEqual([]);
    expect(
      (await app.request('GET', `/v1/orgs/${orgId}/chats`, { token: bob.token })).body.items,
    ).toHaveLength(1);

    // A version bump: the new code's runner rebuilds beside v1 and switches; the old code then refuses to downgrade.
    await projector.stop();
    const v2 = { ...messagesProjection, version: messagesProjection.version + 1 };
    const posted = await app.request('POST', `/v1/orgs/${orgId}/chats/${chatId}/messages`, {
      token: olga.token,
      body: { body: 'before v2' },
      consistent: false,
    });
    expect(posted.status).toBe(201);
    const runner = new ProjectionRunner({
      projection: v2,
      eventStore: app.eventStore,
      ownerPool: app.database.ownerPool,
      logger: silent,
      upcast: (event) => upcasters.upcast(event),
      lockRetryMs: 50,
    });
    runner.start();
    try {
      const deadline = Date.now() + 30_000;
      while (
        (await readCheckpoints(app.database.ownerPool, ['messages'])).get('messages')?.version !== v2.version
      ) {
        if (Date.now() > deadline) throw new Error('v2 never switched in');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await runner.stop();
    }
    const messages = await app.request('GET', `/v1/orgs/${orgId}/chats/${chatId}/messages`, {
      token: olga.token,
      consistent: false,
    });
    expect(messages.body.items.map((m: { body: string }) => m.body)).toEqual(['before v2']);
    await expect(installProjection(app.database.ownerPool, messagesProjection)).rejects.toBeInstanceOf(
      ProjectionVersionMismatch,
    );
    await installProjections(app.database.ownerPool, silent); // logged, not thrown: the service still starts
  }, 90_000);
});

describe('the built service', () => {
  let build: string;
  beforeAll(async () => {
    build = await buildForChildren(['apps', 'libs', 'projections']);
  }, 120_000);
  afterEach(() => killChildren());

  it('restarts after its checkpoint rows were deleted by hand, and TENANTRY_PROJECTOR=off serves without a projector', async () => {
    const database = await createTestDatabase();
    const superuser = new pg.Pool({ connectionString: database.url, max: 1 });
    // An idle connection cut while the services start and stop must not fail the test by
    // itself (an unhandled pool 'error'): the pool reconnects, and a query that fails still does.
    superuser.on('error', () => undefined);
    try {
      const serve = (extra: Record<string, string> = {}) =>
        spawnChild(path.join(build, 'apps/api/main.js'), {
          env: {
            PORT: '0',
            DATABASE_URL: database.url,
            TENANTRY_APP_DB_PASSWORD: 'app-password-for-tests',
            TENANTRY_DATA_DIR: dataDir,
            TENANTRY_OPERATOR_TOKEN: OPERATOR_TOKEN,
            LOG_LEVEL: 'info',
            ...extra,
          },
        });
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tenantry-restart-'));
      const first = serve();
      const { url } = await started(first);
      await untilReady(url);
      const ada = await callService(url, 'POST', '/v1/users', OPERATOR_TOKEN, {
        email: `ada-${Date.now()}@example.com`,
        displayName: 'Ada',
      });
      expect(ada.status).toBe(201);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      await superuser.query('DELETE FROM projection.checkpoints');
      const second = serve();
      const restarted = await started(second);
      await untilReady(restarted.url);
      expect((await callService(restarted.url, 'GET', '/v1/users/me', ada.body.token)).status).toBe(200);
      const { rows } = await superuser.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM projection.checkpoints',
      );
      expect(rows[0]!.count).toBe(PROJECTIONS.length);
      expect(logLines(second).some((l) => l.msg === 'projection rebuilt and switched in')).toBe(true);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);

      const apiOnly = serve({ TENANTRY_PROJECTOR: 'off' });
      const api = await started(apiOnly);
      expect((await callService(api.url, 'GET', '/v1/users/me', ada.body.token)).status).toBe(200);
      const appliers = await superuser.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'tenantry-projection:%'",
      );
      expect(appliers.rowCount).toBe(0);
      expect(logLines(apiOnly).some((l) => String(l.msg).startsWith('TENANTRY_PROJECTOR=off'))).toBe(true);
      apiOnly.child.kill('SIGTERM');
      expect(await apiOnly.exited).toBe(0);
    } finally {
      await superuser.end();
      await database.drop();
    }
  }, 120_000);
});
