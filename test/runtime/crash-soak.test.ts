import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { pino } from 'pino';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { openDatabase, runMigrations } from '../../libs/persistence/index.js';
import { applyEvents } from '../../libs/projection-runtime/apply-batch.js';
import { installProjection } from '../../libs/projection-runtime/install.js';
import { PROJECTIONS } from '../../projections/index.js';
import { collect } from '../event-store/event-fixtures.js';
import { buildForChildren, type Child, killChildren, spawnChild } from '../support/child-processes.js';
import { call, postgresProcesses, started, untilReady } from '../support/service-process.js';

/**
 * Issue 15, point 5: a bounded soak. Clients mix commands and queries
 * across tenants over HTTP while the service (a child process, embedded
 * Postgres) is killed with SIGKILL at random points, KILLS times. After
 * each restart, with the clients paused:
 * - every acknowledged command's events are in the log exactly once (each
 *   write carries its own X-Correlation-Id, which its events carry), and the
 *   position it answered is one of them; an unacknowledged one (in flight at
 *   the kill) is in the log once or not at all;
 * - the read models, once caught up, equal a fresh replay of the whole log
 *   through the same projections into a second database.
 * It prints acknowledged writes, kills, recovery times and differences.
 * SOAK_SEED replays a run; SOAK_KILLS and SOAK_CLIENTS change its size.
 */
const KILLS = Number(process.env.SOAK_KILLS ?? 4);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 6);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);

let build: string;
let root: string;

beforeAll(async () => {
  build = await buildForChildren(['apps', 'libs', 'projections']);
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-soak-'));
  await fs.chmod(root, 0o711);
});

afterAll(async () => {
  for (const pid of await postgresProcesses(root)) process.kill(pid, 'SIGQUIT');
  await fs.rm(root, { recursive: true, force: true });
  if (build) await fs.rm(build, { recursive: true, force: true });
});

afterEach(killChildren);

/** mulberry32: a seeded generator, so a failing run can be replayed with SOAK_SEED. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One write as a client saw it. `expected`: how many events of `primary` it appends when acknowledged. */
interface Write {
  readonly op: string;
  readonly correlationId: string;
  readonly primary: string;
  status: number;
  position?: string;
  expected: number;
}

interface Member {
  readonly id: string;
  readonly token: string;
}

const POSITION_SQL = `lpad(to_hex(transaction_id::text::bigint), 16, '0') || '-' || lpad(to_hex(seq), 16, '0')`;

describe('a bounded soak: commands and queries across tenants while the service is killed with -9', () => {
  it('loses no acknowledged write, duplicates none, and its read models equal a fresh replay', async () => {
    const random = generator(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const dataDir = path.join(root, 'data');
    const service: { child: Child; url: string; operator: string; up: boolean } = {
      ...(await start()),
      up: true,
    };
    async function start() {
      const child = spawnChild(path.join(build, 'apps/api/main.js'), {
        env: { TENANTRY_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' },
        cwd: root,
      });
      const { url, token } = await started(child);
      return { child, url, operator: token };
    }

    const writes: Write[] = [];
    const reads = { answered: 0, failed: 0 };
    const statuses = new Map<number, number>();
    let paused = false;
    let inFlight = 0;

    async function write(
      op: string,
      primary: string,
      method: string,
      route: string,
      token: string,
      body: unknown,
    ): Promise<Write & { body: any }> {
      const entry: Write = { op, primary, correlationId: randomUUID(), status: 0, expected: 1 };
      writes.push(entry);
      const answer = await call(service.url, method, route, token, body, {
        'x-correlation-id': entry.correlationId,
      });
      entry.status = answer.status;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status >= 200 && answer.status < 300) {
        entry.position = answer.headers?.get('x-consistency-token') ?? undefined;
      }
      return { ...entry, body: answer.body };
    }
    const acknowledged = (w: Write) => w.status >= 200 && w.status < 300;

    // Tenants: user i owns org i and is a member of org i+1, so every client works in two tenants.
    const users: Member[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const answer = await write('register', 'UserRegistered', 'POST', '/v1/users', service.operator, {
        email: `soak-${i}@example.com`,
        displayName: `Soak ${i}`,
      });
      expect(answer.status).toBe(201);
      users.push({ id: answer.body.user.id, token: answer.body.token });
    }
    const orgs: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const answer = await write('create org', 'OrganizationCreated', 'POST', '/v1/orgs', users[i]!.token, {
        slug: `soak-org-${i}`,
        name: `Soak org ${i}`,
      });
      expect(answer.status).toBe(201);
      orgs.push(answer.body.org.id);
    }
    for (let i = 0; i < CLIENTS; i++) {
      const next = (i + 1) % CLIENTS;
      const answer = await write(
        'add member',
        'OrgMemberAdded',
        'PUT',
        `/v1/orgs/${orgs[next]}/members/${users[i]!.id}`,
        users[next]!.token,
        { role: 'member' },
      );
      expect(answer.status).toBe(201);
    }

    /** One client: user i, in its own org and its neighbour's, until `done`. */
    let done = false;
    async function client(i: number): Promise<void> {
      const me = users[i]!;
      const tenants = [
        { org: orgs[i]!, other: users[(i + CLIENTS - 1) % CLIENTS]! },
        { org: orgs[(i + 1) % CLIENTS]!, other: users[(i + 1) % CLIENTS]! },
      ];
      const chats: Array<{ org: string; id: string; other: Member }> = [];
      const workspaces: string[] = [];
      let n = 0;
      while (!done) {
        if (paused || !service.up) {
          await sleep(10);
          continue;
        }
        inFlight++;
        try {
          const tenant = pick(tenants);
          const roll = random();
          const chat = chats.length > 0 ? pick(chats) : undefined;
          const base = chat && `/v1/orgs/${chat.org}/chats/${chat.id}`;
          n++;
          if (!chat || roll < 0.12) {
            const answer = await write(
              'create chat',
              'ChatCreated',
              'POST',
              `/v1/orgs/${tenant.org}/chats`,
              me.token,
              { title: `chat ${i}.${n}` },
            );
            if (answer.status === 201)
              chats.push({ org: tenant.org, id: answer.body.chat.id, other: tenant.other });
          } else if (roll < 0.5) {
            await write('post', 'ChatMessagePosted', 'POST', `${base}/messages`, me.token, {
              body: `message ${i}.${n}`,
            });
          } else if (roll < 0.58) {
            await write('rename', 'ChatRenamed', 'PATCH', base!, me.token, { title: `renamed ${i}.${n}` });
          } else if (roll < 0.68) {
            const role = pick(['viewer', 'editor', '']);
            const answer = await write(
              'share',
              role ? 'ChatShared' : 'ChatUnshared',
              'PATCH',
              `${base}/acl`,
              me.token,
              {
                users: { [chat.other.id]: role },
                groups: {},
              },
            );
            // A change to what the ACL already holds appends nothing, and says so.
            const entry = writes.find((w) => w.correlationId === answer.correlationId)!;
            entry.expected = acknowledged(answer) ? (answer.body?.changes?.length ?? 0) : 1;
          } else if (roll < 0.71) {
            await write('create group', 'GroupCreated', 'POST', `/v1/orgs/${orgs[i]}/groups`, me.token, {
              name: `group ${i}.${n}`,
            });
          } else if (roll < 0.73) {
            const answer = await write(
              'create workspace',
              'WorkspaceCreated',
              'POST',
              `/v1/orgs/${orgs[i]}/workspaces`,
              me.token,
              { slug: `ws-${i}-${n}`, name: `workspace ${i}.${n}` },
            );
            if (answer.status === 201) workspaces.push(answer.body.workspace.id);
          } else if (roll < 0.76 && workspaces.length > 0) {
            const answer = await write(
              'create chat in workspace',
              'ChatCreated',
              'POST',
              `/v1/orgs/${orgs[i]}/chats`,
              me.token,
              { title: `chat ${i}.${n}`, workspaceId: pick(workspaces) },
            );
            if (answer.status === 201)
              chats.push({ org: orgs[i]!, id: answer.body.chat.id, other: tenants[0]!.other });
          } else {
            const route = pick([
              `/v1/orgs/${tenant.org}/chats?limit=20`,
              `${base}/messages?limit=20`,
              `${base}`,
              `${base}/acl`,
              `/v1/orgs/${tenant.org}/members`,
            ]);
            const answer = await call(service.url, 'GET', route, me.token);
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            if (answer.status === 200) reads.answered++;
            else reads.failed++;
          }
        } finally {
          inFlight--;
        }
      }
    }

    const clients = users.map((_, i) => client(i));
    const rounds: Array<{ loadMs: number; recoveryMs: number; events: number; differences: number }> = [];
    const problems: string[] = [];
    try {
      for (let round = 1; round <= KILLS; round++) {
        const loadMs = 2_000 + Math.floor(random() * 2_500);
        await sleep(loadMs);
        service.up = false;
        const killedAt = Date.now();
        service.child.child.kill('SIGKILL');
        await service.child.exited;
        Object.assign(service, await start());
        await untilReady(service.url, 30_000);
        const recoveryMs = Date.now() - killedAt;
        paused = true;
        service.up = true;
        while (inFlight > 0) await sleep(10);
        const check = await verify(round);
        problems.push(...check.problems);
        rounds.push({ loadMs, recoveryMs, events: check.events, differences: check.differences });
        paused = false;
      }
    } finally {
      done = true;
      paused = false;
      service.up = true;
      await Promise.all(clients);
    }
    service.child.child.kill('SIGTERM');
    expect(await service.child.exited).toBe(0);

    const acked = writes.filter(acknowledged);
    const report = {
      seed: SEED,
      clients: CLIENTS,
      kills: rounds.length,
      acknowledgedWrites: acked.length,
      unacknowledgedWrites: writes.length - acked.length,
      reads,
      statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
      recoveryMs: rounds.map((r) => r.recoveryMs),
      eventsInLog: rounds.at(-1)?.events,
      differences: rounds.map((r) => r.differences),
      problems: problems.slice(0, 20),
    };
    process.stdout.write(`crash soak: ${JSON.stringify(report)}\n`);

    expect(rounds).toHaveLength(KILLS);
    expect(problems).toEqual([]);
    expect(rounds.map((r) => r.differences)).toEqual(rounds.map(() => 0));
    // Enough traffic for the figures to mean something, and none of it answered 500.
    expect(acked.length).toBeGreaterThan(100 * KILLS);
    expect(reads.answered).toBeGreaterThan(20 * KILLS);
    expect([...statuses.keys()].filter((status) => status >= 500 && status !== 503)).toEqual([]);

    /** The log against the clients' record, and the read models against a fresh replay. */
    async function verify(
      round: number,
    ): Promise<{ problems: string[]; events: number; differences: number }> {
      const state = JSON.parse(await fs.readFile(path.join(dataDir, 'embedded-postgres.json'), 'utf8'));
      const serverUrl = (database: string) =>
        `postgres://postgres:${encodeURIComponent(state.superuserPassword)}@127.0.0.1:${state.port}/${database}`;
      const live = new pg.Pool({ connectionString: serverUrl('tenantry'), max: 2 });
      live.on('error', () => undefined);
      const found: string[] = [];
      try {
        const { rows: events } = await live.query<{ correlation: string; type: string; position: string }>(
          `SELECT metadata->>'correlationId' AS correlation, event_type AS type, ${POSITION_SQL} AS position
             FROM eventstore.events ORDER BY transaction_id, seq`,
        );
        const byCorrelation = new Map<string, Array<{ type: string; position: string }>>();
        for (const event of events) {
          const list = byCorrelation.get(event.correlation) ?? [];
          list.push(event);
          byCorrelation.set(event.correlation, list);
        }
        for (const w of writes) {
          const mine = byCorrelation.get(w.correlationId) ?? [];
          const count = mine.filter((event) => event.type === w.primary).length;
          if (acknowledged(w)) {
            if (count !== w.expected)
              found.push(`${w.op} ${w.correlationId}: ${count} ${w.primary}, not ${w.expected}`);
            if (w.expected > 0 && !mine.some((event) => event.position === w.position)) {
              found.push(
                `${w.op} ${w.correlationId}: answered position ${w.position} is not among its events`,
              );
            }
          } else if (count > w.expected) {
            found.push(`${w.op} ${w.correlationId} (unacknowledged): ${count} ${w.primary}`);
          }
        }

        // Caught up: every projection live at the log's head (the clients are paused).
        const head = events.at(-1)!.position;
        const deadline = Date.now() + 30_000;
        for (;;) {
          const { rows } = await live.query<{ position: string; state: string }>(
            'SELECT position, state FROM projection.checkpoints WHERE name = ANY($1)',
            [PROJECTIONS.map((p) => p.name)],
          );
          if (
            rows.length === PROJECTIONS.length &&
            rows.every((r) => r.position === head && r.state === 'live')
          )
            break;
          if (Date.now() > deadline) throw new Error(`round ${round}: the projections did not catch up`);
          await sleep(50);
        }
        const built = await snapshot(live);

        // The fresh replay, into a database of its own on the same server.
        const replayName = `soak_replay_${round}`;
        await live.query(`CREATE DATABASE ${replayName}`);
        const replay = await openDatabase(
          { databaseUrl: serverUrl(replayName), appDbPassword: state.appPassword, dataDir: '/nonexistent' },
          pino({ level: 'silent' }),
          { poolSize: 2 },
        );
        let replayed: Map<string, string[]>;
        try {
          await runMigrations(replay.ownerPool, replay.owner);
          for (const projection of PROJECTIONS) await installProjection(replay.ownerPool, projection);
          const log = await collect(new PostgresEventStore(live).readAll());
          const client = await replay.ownerPool.connect();
          try {
            for (const projection of PROJECTIONS) {
              await client.query('BEGIN');
              await applyEvents(client, projection, log, (event) => upcasters.upcast(event));
              await client.query('COMMIT');
            }
          } finally {
            client.release();
          }
          replayed = await snapshot(replay.ownerPool);
        } finally {
          await replay.close();
          await live.query(`DROP DATABASE ${replayName} WITH (FORCE)`);
        }
        let differences = 0;
        for (const [table, rows] of built) {
          const other = new Set(replayed.get(table));
          const mine = new Set(rows);
          const onlyBuilt = rows.filter((row) => !other.has(row));
          const onlyReplayed = [...other].filter((row) => !mine.has(row));
          differences += onlyBuilt.length + onlyReplayed.length;
          if (onlyBuilt.length + onlyReplayed.length > 0) {
            found.push(`${table}: ${onlyBuilt.length} rows only live, ${onlyReplayed.length} only replayed`);
          }
        }
        // The comparison means something: every projection has rows.
        for (const projection of PROJECTIONS) {
          if (!projection.tables.some((table) => (built.get(table)?.length ?? 0) > 0)) {
            found.push(`projection ${projection.name} has no rows`);
          }
        }
        return { problems: found.map((p) => `round ${round}: ${p}`), events: events.length, differences };
      } finally {
        await live.end();
      }
    }
  }, 240_000);
});

/** Every read-model table's rows as JSON text, sorted. */
async function snapshot(pool: pg.Pool): Promise<Map<string, string[]>> {
  const tables = new Map<string, string[]>();
  for (const table of PROJECTIONS.flatMap((p) => p.tables)) {
    const { rows } = await pool.query<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM ${table} t`);
    tables.set(table, rows.map((r) => r.row).sort());
  }
  return tables;
}
