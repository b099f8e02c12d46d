import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import {
  EXIT,
  OpsError,
  type OpsIo,
  type OpsRuntime,
  projectionsRebuild,
  projectionsSkip,
  projectionsStatus,
  projectionsRetry,
} from '../../apps/cli/projections.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import {
  type Projection,
  type ProjectionStatus,
  rebuildProjection,
} from '../../libs/projection-runtime/index.js';
import { PROJECTIONS } from '../../projections/index.js';
import { type ApiAnswer, type E2eApp, OPERATOR_TOKEN, startE2eApp } from '../e2e/support/e2e-app.js';
import { buildForChildren, killChildren, spawnChild } from '../support/child-processes.js';

/**
 * `tenantry projections …` against a running service (DESIGN.md §8, issue
 * 14): blue/green rebuilds while clients read, a rebuild stopped half-way and
 * rerun, a per-tenant rebuild, and skip and retry of a failed projection.
 */

interface Person {
  readonly id: string;
  readonly token: string;
}

function capture(json: boolean): { io: OpsIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { io: { stdout, stderr, json }, out: () => out, err: () => err };
}

const CHATS = 12;

describe('tenantry projections: blue/green rebuilds against a running service', () => {
  let app: E2eApp;
  let superuser: pg.Pool;
  let build: string;
  let olga: Person;
  let bob: Person;
  let orgId: string;
  let otherOrgId: string;
  let chatIds: string[];

  const runtime = (): OpsRuntime => ({
    eventStore: app.eventStore,
    ownerPool: app.database.ownerPool,
    appPool: app.database.appPool,
    logger: pino({ level: 'silent' }),
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

  const cli = async (...args: string[]) => {
    const child = spawnChild(path.join(build, 'apps/cli/main.js'), {
      args,
      env: {
        DATABASE_URL: app.databaseUrl,
        TENANTRY_APP_DB_PASSWORD: 'app-password-for-tests',
        TENANTRY_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'tenantry-cli-')),
        LOG_LEVEL: 'warn',
      },
    });
    const code = await child.exited;
    return { code, stdout: child.stdout, stderr: child.stderr };
  };

  const status = async (): Promise<Map<string, ProjectionStatus>> => {
    const run = capture(true);
    const code = await projectionsStatus(runtime(), run.io);
    const document = JSON.parse(run.out()) as { projections: ProjectionStatus[] };
    // 3 when a projection has failed, else 0: whatever the state, the status is printed.
    const failed = document.projections.some((p) => p.state === 'failed');
    expect(code).toBe(failed ? EXIT.projectionFailed : EXIT.ok);
    return new Map(document.projections.map((p) => [p.name, p]));
  };

  beforeAll(async () => {
    app = await startE2eApp();
    superuser = new pg.Pool({ connectionString: app.databaseUrl, max: 2 });
    build = await buildForChildren(['apps', 'libs', 'projections']);
    olga = await app.registerUser('Olga');
    bob = await app.registerUser('Bob');
    const org = await call(olga, 'POST', '/v1/orgs', { slug: `rebuilt-${Date.now()}`, name: 'Rebuilt' });
    orgId = org.body.org.id;
    await call(olga, 'PUT', `/v1/orgs/${orgId}/members/${bob.id}`, { role: 'member' });
    const group = await call(olga, 'POST', `/v1/orgs/${orgId}/groups`, { name: 'G' });
    await call(olga, 'PUT', `/v1/orgs/${orgId}/groups/${group.body.group.id}/members/${bob.id}`);
    chatIds = [];
    for (let i = 0; i < CHATS; i++) {
      const chat = await call(olga, 'POST', `/v1/orgs/${orgId}/chats`, { title: `chat ${i}` });
      chatIds.push(chat.body.chat.id);
      await call(olga, 'PATCH', `/v1/orgs/${orgId}/chats/${chat.body.chat.id}/acl`, {
        users: { [bob.id]: 'viewer' },
      });
      await call(olga, 'POST', `/v1/orgs/${orgId}/chats/${chat.body.chat.id}/messages`, {
        body: `hello ${i}`,
      });
    }
    const other = await call(olga, 'POST', '/v1/orgs', { slug: `untouched-${Date.now()}`, name: 'Other' });
    otherOrgId = other.body.org.id;
    for (let i = 0; i < 3; i++)
      await call(olga, 'POST', `/v1/orgs/${otherOrgId}/chats`, { title: `other ${i}` });
  }, 180_000);
  afterEach(() => killChildren());
  afterAll(async () => {
    await superuser?.end();
    await app?.close();
  });

  /**
   * A client reading in a loop until `done`: Bob's chat list (every chat,
   * never fewer), Olga's org members, and the messages of the first chat
   * with the token of the last post (read-your-writes across the switch).
   */
  const readInALoop = (until: Promise<unknown>) => {
    let stop = false;
    void until.finally(() => (stop = true));
    const problems: string[] = [];
    let reads = 0;
    const loop = (async () => {
      while (!stop) {
        const [list, members, me] = await Promise.all([
          app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token, consistent: false }),
          app.request('GET', `/v1/orgs/${orgId}/members`, { token: olga.token, consistent: false }),
          app.request('GET', '/v1/users/me', { token: bob.token, consistent: false }),
        ]);
        reads += 3;
        if (list.status !== 200) problems.push(`chat list ${list.status} ${JSON.stringify(list.body)}`);
        else if (list.body.items.length !== CHATS)
          problems.push(`chat list had ${list.body.items.length} chats`);
        if (members.status !== 200) problems.push(`members ${members.status}`);
        else if (members.body.items.length !== 2) problems.push(`members had ${members.body.items.length}`);
        if (me.status !== 200) problems.push(`me ${me.status}`);
      }
    })();
    return { done: loop.then(() => ({ problems, reads })) };
  };

  it('rebuild all, from another process, while a client reads and writes: zero errors, never an empty or partial answer, tokens monotonic', async () => {
    const before = await status();
    // A healthy status exits 0, from the command line as from the function.
    const healthy = await cli('--json', 'projections', 'status');
    expect({ code: healthy.code, stderr: healthy.stderr }).toEqual({ code: EXIT.ok, stderr: '' });
    expect(JSON.parse(healthy.stdout).projections).toHaveLength(PROJECTIONS.length);
    const rebuild = cli('--json', 'projections', 'rebuild', 'all');
    const reader = readInALoop(rebuild);
    // A writer too: each post's token must be honoured by the read that follows, across the switch.
    let posted = 0;
    let writerProblems = 0;
    const writer = (async () => {
      let stop = false;
      void rebuild.finally(() => (stop = true));
      while (!stop) {
        const post = await call(olga, 'POST', `/v1/orgs/${orgId}/chats/${chatIds[0]}/messages`, {
          body: `during ${posted}`,
        });
        posted++;
        const read = await app.request('GET', `/v1/orgs/${orgId}/chats/${chatIds[0]}/messages?limit=200`, {
          token: olga.token,
          headers: { 'x-consistency-token': post.headers.get('x-consistency-token')! },
        });
        if (
          read.status !== 200 ||
          !read.body.items.some((m: { body: string }) => m.body === `during ${posted - 1}`)
        )
          writerProblems++;
      }
    })();
    const result = await rebuild;
    const { problems, reads } = await reader.done;
    await writer;

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(result.stdout);
    expect(summary.rebuilt.map((r: { name: string }) => r.name)).toEqual(PROJECTIONS.map((p) => p.name));
    expect(problems).toEqual([]);
    expect(writerProblems).toBe(0);
    expect(reads).toBeGreaterThan(0);
    const after = await status();
    for (const [name, was] of before) {
      const now = after.get(name)!;
      expect(now.position >= was.position).toBe(true);
      expect(now).toMatchObject({ installedVersion: now.version, stale: false, rebuild: null });
    }
    // The new tables carry the tenant policy: RLS forced, the old side schemas gone.
    const { rows: sideSchemas } = await superuser.query(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'projection_build_%' OR nspname LIKE 'projection_retired_%'",
    );
    expect(sideSchemas).toEqual([]);
    const { rows: unforced } = await superuser.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id'
        WHERE n.nspname = 'read_model' AND c.relkind = 'r'
          AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                   AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation'))`,
    );
    expect(unforced).toEqual([]);
    const { rows: tenantTables } = await superuser.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id'
        WHERE n.nspname = 'read_model' AND c.relkind = 'r'`,
    );
    expect(tenantTables.length).toBe(
      PROJECTIONS.filter((p) => p.name !== 'users').reduce((sum, p) => sum + p.tables.length, 0),
    );
    // Switched in with planner statistics: every table was analyzed before the switch.
    const { rows: unanalyzed } = await superuser.query(
      `SELECT schemaname || '.' || relname AS name FROM pg_stat_user_tables
        WHERE schemaname || '.' || relname = ANY($1) AND last_analyze IS NULL`,
      [PROJECTIONS.flatMap((p) => p.tables)],
    );
    expect(unanalyzed).toEqual([]);
    const list = await app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token });
    expect(list.body.items).toHaveLength(CHATS);
  }, 120_000);

  it('a rebuild stopped half-way leaves the live tables serving, shows in status, and a rerun resumes and switches in', async () => {
    const stop = new AbortController();
    const chatAccess = PROJECTIONS.find((p) => p.name === 'chat-access')!;
    // Stopped, as Ctrl-C stops the CLI, once two pages are committed.
    const stopping = rebuildProjection({
      projection: chatAccess,
      eventStore: app.eventStore,
      ownerPool: app.database.ownerPool,
      upcast: (event) => upcasters.upcast(event),
      logger: pino({ level: 'silent' }),
      batchSize: 5,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.eventsApplied >= 10) stop.abort();
      },
    });
    await expect(stopping).rejects.toMatchObject({ code: 'PROJECTION.REBUILD_INTERRUPTED' });

    const halfway = (await status()).get('chat-access')!;
    expect(halfway.rebuild).toMatchObject({ running: false, version: 1 });
    expect(halfway.rebuild!.eventsApplied).toBeGreaterThanOrEqual(10);
    const list = await app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token });
    expect(list.body.items).toHaveLength(CHATS);
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the metrics' status snapshot
    const metrics = String((await app.request('GET', '/metrics')).body);
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}\\{projection="chat-access"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(gauge('tenantry_projection_rebuild_events_applied')).toBe(halfway.rebuild!.eventsApplied);
    expect(gauge('tenantry_projection_rebuild_running')).toBe(0);
    expect(halfway.rebuild!.eventsTotal).toBeGreaterThan(halfway.rebuild!.eventsApplied);
    expect(gauge('tenantry_projection_rebuild_events_total')).toBe(halfway.rebuild!.eventsTotal);

    const rerun = capture(true);
    expect(await projectionsRebuild(runtime(), 'chat-access', { batchSize: 5 }, rerun.io)).toBe(EXIT.ok);
    const [result] = JSON.parse(rerun.out()).rebuilt;
    expect(result).toMatchObject({ name: 'chat-access', resumed: true });
    expect(result.eventsThisRun).toBeLessThan(result.eventsApplied);
    expect((await status()).get('chat-access')!.rebuild).toBeNull();
    const after = await app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token });
    expect(after.body.items.map((c: { id: string }) => c.id).sort()).toEqual(
      list.body.items.map((c: { id: string }) => c.id).sort(),
    );
  }, 60_000);

  it('/metrics while a rebuild runs: running 1, the events applied so far, and the total it builds towards', async () => {
    const chats = PROJECTIONS.find((p) => p.name === 'chats')!;
    // Held inside its third page (pages of 5): the two before are committed, so 10 events applied.
    let applying = 0;
    let reached!: () => void;
    const halfway = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: Projection = {
      ...chats,
      async apply(client, event) {
        if (++applying === 11) {
          reached();
          await released;
        }
        return chats.apply(client, event);
      },
    };
    const head = await app.eventStore.headPosition();
    const log = (await app.allEvents()).filter((e) => e.position <= head);
    const rebuilding = rebuildProjection({
      projection: held,
      eventStore: app.eventStore,
      ownerPool: app.database.ownerPool,
      upcast: (event) => upcasters.upcast(event),
      logger: pino({ level: 'silent' }),
      batchSize: 5,
    });
    const gauges = async () => {
      await new Promise((resolve) => setTimeout(resolve, 600)); // past the metrics' status snapshot
      const metrics = String((await app.request('GET', '/metrics')).body);
      const gauge = (name: string) =>
        Number(new RegExp(`^${name}\\{projection="chats"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
      return {
        running: gauge('tenantry_projection_rebuild_running'),
        applied: gauge('tenantry_projection_rebuild_events_applied'),
        total: gauge('tenantry_projection_rebuild_events_total'),
      };
    };
    try {
      await Promise.race([halfway, rebuilding.then(() => Promise.reject(new Error('not held half-way')))]);
      const during = (await status()).get('chats')!.rebuild!;
      expect(during).toMatchObject({
        running: true,
        eventsApplied: 10,
        targetPosition: head,
        eventsTotal: log.length,
      });
      expect(await gauges()).toEqual({ running: 1, applied: 10, total: log.length });
      const human = await cli('projections', 'status');
      expect(human.stdout).toContain(`rebuild running: v1 at ${during.position}, 10 of ${log.length} events`);
    } finally {
      release();
    }
    expect(await rebuilding).toMatchObject({ name: 'chats', eventsApplied: expect.any(Number) });
    expect((await status()).get('chats')!.rebuild).toBeNull();
    expect(await gauges()).toEqual({ running: 0, applied: 0, total: 0 });
  }, 60_000);

  it('a rebuild killed with SIGKILL half-way: the live tables keep serving, status shows it stopped, and the rerun resumes', async () => {
    const env = {
      DATABASE_URL: app.databaseUrl,
      TENANTRY_APP_DB_PASSWORD: 'app-password-for-tests',
      TENANTRY_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'tenantry-cli-')),
      LOG_LEVEL: 'warn',
    };
    const killed = spawnChild(path.join(build, 'apps/cli/main.js'), {
      args: ['--json', 'projections', 'rebuild', 'chat-access', '--batch-size', '2'],
      env,
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { rows } = await superuser.query<{ events_applied: string }>(
        "SELECT events_applied FROM projection.builds WHERE name = 'chat-access'",
      );
      if (Number(rows[0]?.events_applied ?? 0) >= 6) break;
      if (Date.now() > deadline || killed.child.exitCode !== null)
        throw new Error(`never caught the rebuild half-way: ${killed.stdout} ${killed.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBeNull();

    const stopped = await waitFor(async () => {
      const s = (await status()).get('chat-access')!;
      return s.rebuild && !s.rebuild.running ? s : undefined;
    });
    expect(stopped.rebuild!.eventsApplied).toBeGreaterThanOrEqual(6);
    const during = await app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token });
    expect(during.body.items).toHaveLength(CHATS);

    const rerun = await cli('--json', 'projections', 'rebuild', 'chat-access');
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).rebuilt[0]).toMatchObject({ name: 'chat-access', resumed: true });
    expect((await status()).get('chat-access')).toMatchObject({ rebuild: null, stale: false });
    const after = await app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token });
    expect(after.body.items).toHaveLength(CHATS);
    const badSize = await cli('projections', 'rebuild', 'chat-access', '--batch-size', '0');
    expect(badSize.code).toBe(2);
  }, 60_000);

  it("--org rebuilds one tenant's rows from its streams, leaving another tenant's rows and the checkpoints untouched", async () => {
    const snapshot = async (org: string) =>
      (
        await superuser.query(
          'SELECT xmin::text, * FROM read_model.chat_access WHERE org_id = $1 ORDER BY chat_id, user_id',
          [org],
        )
      ).rows;
    const checkpoints = async () =>
      (await superuser.query('SELECT name, position, generation FROM projection.checkpoints ORDER BY name'))
        .rows;
    const otherBefore = await snapshot(otherOrgId);
    expect(otherBefore.length).toBeGreaterThan(0);
    const checkpointsBefore = await checkpoints();
    // Damage the tenant's rows by hand: the per-tenant rebuild must restore them.
    await superuser.query('DELETE FROM read_model.chat_access WHERE org_id = $1 AND user_id = $2', [
      orgId,
      bob.id,
    ]);
    const damaged = await app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token });
    expect(damaged.body.items).toHaveLength(0);

    const run = capture(true);
    expect(await projectionsRebuild(runtime(), 'chat-access', { org: orgId }, run.io)).toBe(EXIT.ok);
    expect(JSON.parse(run.out()).rebuilt[0]).toMatchObject({ orgId });

    const restored = await app.request('GET', `/v1/orgs/${orgId}/chats?limit=200`, { token: bob.token });
    expect(restored.body.items).toHaveLength(CHATS);
    expect(await snapshot(otherOrgId)).toEqual(otherBefore);
    expect(await checkpoints()).toEqual(checkpointsBefore);

    // A projection of platform tables cannot be rebuilt per tenant: refused, nothing changed.
    await expect(
      projectionsRebuild(runtime(), 'users', { org: orgId }, capture(true).io),
    ).rejects.toMatchObject({
      code: 'PROJECTION.NOT_TENANT_SCOPED',
    });
    const spawned = await cli('--json', 'projections', 'rebuild', 'users', '--org', orgId);
    expect(spawned.code).toBe(1);
    expect(JSON.parse(spawned.stdout)).toEqual({
      error: { code: 'PROJECTION.NOT_TENANT_SCOPED', message: expect.any(String) },
    });
  }, 60_000);

  it('a failed projection: skip refused at another position (exit 1), done at the failed one and shown in status; retry reapplies', async () => {
    await superuser.query(
      "ALTER TABLE read_model.messages ADD CONSTRAINT no_poison CHECK (body NOT LIKE 'poison%') NOT VALID",
    );
    try {
      await call(olga, 'POST', `/v1/orgs/${orgId}/chats/${chatIds[1]}/messages`, { body: 'poison 1' });
      const failed = await waitFor(async () => {
        const s = (await status()).get('messages')!;
        return s.state === 'failed' ? s : undefined;
      });
      expect(failed.failedEventType).toBe('ChatMessagePosted');
      // status says so in its exit code (3), still printing the status: one JSON document with --json.
      const failing = await cli('--json', 'projections', 'status');
      expect({ code: failing.code, stderr: failing.stderr }).toEqual({ code: 3, stderr: '' });
      const failingDocument = JSON.parse(failing.stdout) as { projections: ProjectionStatus[] };
      expect(failingDocument.projections.find((p) => p.name === 'messages')).toMatchObject({
        state: 'failed',
        failedPosition: failed.failedPosition,
      });
      const failingHuman = await cli('projections', 'status');
      expect(failingHuman.code).toBe(3);
      expect(failingHuman.stdout).toContain(`last error: `);
      expect(failingHuman.stdout).toMatch(/^messages .* failed/m);

      // The checkpoint's own position is a real position, but not the failed one.
      const wrong = await cli(
        '--json',
        'projections',
        'skip',
        'messages',
        '--position',
        failed.position,
        '--reason',
        'test',
      );
      expect(wrong.code).toBe(1);
      expect(JSON.parse(wrong.stdout).error.code).toBe('PROJECTION.SKIP_POSITION_MISMATCH');
      const noReason = await cli('projections', 'skip', 'messages', '--position', failed.failedPosition!);
      expect(noReason.code).toBe(2);

      const skip = capture(true);
      expect(
        await projectionsSkip(
          runtime(),
          'messages',
          { position: failed.failedPosition!, reason: 'poison test message', actor: 'jest' },
          skip.io,
        ),
      ).toBe(EXIT.ok);
      const live = await waitFor(async () => {
        const s = (await status()).get('messages')!;
        return s.state === 'live' && s.lagEvents === 0 ? s : undefined;
      });
      expect(live.skips).toEqual([
        expect.objectContaining({
          position: failed.failedPosition,
          eventType: 'ChatMessagePosted',
          reason: 'poison test message',
          actor: 'jest',
        }),
      ]);
      // Healthy again (every projection live): exit 0.
      const human = await cli('projections', 'status');
      expect(human.code).toBe(EXIT.ok);
      expect(human.stdout).toContain(`skipped ChatMessagePosted at ${failed.failedPosition} by jest`);

      // Retry: fail again, remove the cause, retry: the event is applied, not skipped.
      await call(olga, 'POST', `/v1/orgs/${orgId}/chats/${chatIds[1]}/messages`, { body: 'poison 2' });
      await waitFor(async () => ((await status()).get('messages')!.state === 'failed' ? true : undefined));
      await superuser.query('ALTER TABLE read_model.messages DROP CONSTRAINT no_poison');
      expect(await projectionsRetry(runtime(), 'messages', capture(true).io)).toBe(EXIT.ok);
      await waitFor(async () => ((await status()).get('messages')!.state === 'live' ? true : undefined));
      const messages = await app.request('GET', `/v1/orgs/${orgId}/chats/${chatIds[1]}/messages?limit=200`, {
        token: olga.token,
        consistent: false,
      });
      expect(messages.body.items.map((m: { body: string }) => m.body)).toEqual(
        expect.arrayContaining(['poison 2']),
      );
      expect(messages.body.items.map((m: { body: string }) => m.body)).not.toContain('poison 1');
      await expect(projectionsRetry(runtime(), 'messages', capture(true).io)).rejects.toBeInstanceOf(
        OpsError,
      );
    } finally {
      await superuser.query('ALTER TABLE read_model.messages DROP CONSTRAINT IF EXISTS no_poison');
    }
  }, 90_000);

  it('without --json and off a terminal: plain progress lines with events/s and ETA on stderr, a summary on stdout', async () => {
    const run = await cli('projections', 'rebuild', 'groups');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^groups: building \d+\/\d+ events, \d+ events\/s, ETA \S+$/m);
    expect(run.stderr).toMatch(/^groups: done \d+\/\d+ events/m);
    expect(run.stdout).toMatch(/^groups: rebuilt v1 at \S+, \d+ events in [\d.]+s\n$/);
    const unknown = await cli('--json', 'projections', 'rebuild', 'no-such-projection');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe('PROJECTION.NOT_FOUND');
  }, 60_000);

  it('users create registers through the command handler (events appended) and prints a token that works', async () => {
    const email = `cli-${Date.now()}@example.com`;
    const created = await cli('--json', 'users', 'create', '--email', email, '--name', 'Cli User');
    expect(created.code).toBe(0);
    const document = JSON.parse(created.stdout);
    expect(document).toMatchObject({ user: { email, displayName: 'Cli User', status: 'active' } });
    const events = await app.allEvents();
    expect(
      events.filter((e) => e.type === 'UserRegistered' && (e.data as { email: string }).email === email),
    ).toHaveLength(1);
    const me = await app.request('GET', '/v1/users/me', { token: document.token });
    expect(me.status).toBe(200);
    expect(me.body.id ?? me.body.user?.id).toBe(document.user.id);
    // The same decider refuses the same input: the email is taken (exit 1, the domain's code).
    const again = await cli('--json', 'users', 'create', '--email', email, '--name', 'Again');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.code).toBe('USER.EMAIL_TAKEN');
    const plain = await cli('users', 'create', '--email', `plain-${email}`, '--name', 'Plain');
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toMatch(/^\S{32,}$/);
    const bad = await cli('users', 'create', '--name', 'No Email');
    expect(bad.code).toBe(2);
    expect(await app.request('GET', '/v1/admin/projections', { token: OPERATOR_TOKEN })).toMatchObject({
      status: 200,
    });
  }, 60_000);
});

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
