import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { START, type RecordedEvent } from '../../libs/event-store/index.js';
import { applyEvents } from '../../libs/projection-runtime/apply-batch.js';
import { PROJECTIONS } from '../../projections/index.js';
import { chatWorld } from '../e2e/support/chat-fixtures.js';
import { type E2eApp, OPERATOR_TOKEN, startE2eApp } from '../e2e/support/e2e-app.js';
import { buildForChildren, type Child, killChildren, spawnChild } from '../support/child-processes.js';

/**
 * DESIGN.md §7 with the real read models: the projector process is killed
 * (SIGKILL) while the chat-access projection has a batch open, a new one
 * finishes the job, and every read-model table then holds exactly what a
 * fresh replay of the log builds, and what the projector built live while
 * the commands ran.
 */
const STALLED = 'chat-access';
const BATCH_SIZE = 20;
let build: string;
let app: E2eApp;

beforeAll(async () => {
  build = await buildForChildren(['libs', 'projections', 'test/projection-runtime/support']);
  app = await startE2eApp();
});

afterAll(async () => {
  await app?.close();
  if (build) await fs.rm(build, { recursive: true, force: true });
});

afterEach(killChildren);

const startProjector = (env: Record<string, string> = {}): Child =>
  spawnChild(path.join(build, 'test/projection-runtime/support/crash-runner.js'), {
    env: { DATABASE_URL: app.databaseUrl, STALL_PROJECTION: STALLED, BATCH_SIZE: String(BATCH_SIZE), ...env },
  });

const applied = (projector: Child) =>
  [...projector.stdout.matchAll(/^applying (\S+)$/gm)].map((match) => match[1]!);

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function checkpoints(): Promise<Map<string, { position: string; state: string }>> {
  const { rows } = await app.database.ownerPool.query<{ name: string; position: string; state: string }>(
    'SELECT name, position, state FROM projection.checkpoints',
  );
  return new Map(rows.map((row) => [row.name, row]));
}

/** Every projection live at the log's head. */
async function allCaughtUp(): Promise<boolean> {
  const head = await app.eventStore.headPosition();
  const states = await checkpoints();
  return PROJECTIONS.every(
    (p) => states.get(p.name)?.position === head && states.get(p.name)?.state === 'live',
  );
}

/** Every read-model table's rows, as JSON in a stable order, read as the (superuser) owner across tenants. */
async function snapshot(): Promise<Record<string, string[]>> {
  const tables: Record<string, string[]> = {};
  for (const table of PROJECTIONS.flatMap((p) => p.tables)) {
    const { rows } = await app.database.ownerPool.query<{ row: string }>(
      `SELECT to_jsonb(t)::text AS row FROM ${table} t`,
    );
    tables[table] = rows.map((r) => r.row).sort();
  }
  return tables;
}

/** Empties every read model and puts every checkpoint back at the start of the log. */
async function resetReadModels(): Promise<void> {
  await app.database.ownerPool.query(`TRUNCATE ${PROJECTIONS.flatMap((p) => p.tables).join(', ')}`);
  await app.database.ownerPool.query(
    `UPDATE projection.checkpoints SET position = $1, state = 'catching_up', events_applied = 0,
            last_event_recorded_at = NULL WHERE name = ANY($2)`,
    [START, PROJECTIONS.map((p) => p.name)],
  );
}

/** A history touching every read model: users and tokens, orgs, groups, workspaces, chats, ACLs, messages. */
async function writeHistory(): Promise<void> {
  const w = await chatWorld(app);
  const group = await w.createGroup([w.bob.id, w.carol.id]);
  const kept = await w.createGroup([w.alice.id, w.dave.id]);
  const workspace = await w.createWorkspace({ [w.dave.id]: 'member', [w.bob.id]: 'viewer' });
  const root = await w.chat(w.alice);
  const inWorkspace = await w.chat(w.alice, { workspaceId: workspace });
  const sub = await w.chat(w.alice, { parentChatId: root });
  await w.share(
    root,
    { [w.bob.id]: 'viewer', [w.dave.id]: 'editor' },
    { [group]: 'viewer', [kept]: 'editor' },
  );
  for (const chatId of [root, sub, inWorkspace]) await w.post(w.alice, chatId);
  await w.post(w.dave, root);
  await w.rename(w.alice, inWorkspace);
  await w.share(root, { [w.bob.id]: '' });
  await w.setChatSharingDisabled(true);
  await w.setChatSharingDisabled(false);
  for (let i = 0; i < 12; i++) {
    const chatId = await w.chat(w.carol, { title: `chat ${i}` });
    await w.post(w.carol, chatId);
    if (i % 3 === 0) await w.share(chatId, { [w.alice.id]: 'editor' }, {}, w.carol);
    if (i % 4 === 0) expect((await w.remove(w.carol, chatId)).status).toBe(204);
  }
  await w.removeFromOrg(w.carol.id);
  await w.archiveWorkspace(workspace);
  await w.deleteGroup(group);
  const spare = await app.request('POST', '/v1/users/me/tokens', {
    token: w.bob.token,
    body: { name: 'spare' },
  });
  expect(spare.status).toBe(201);
  expect(
    (await app.request('DELETE', `/v1/users/me/tokens/${spare.body.id}`, { token: w.bob.token })).status,
  ).toBe(204);
  expect(
    (await app.request('POST', `/v1/users/${w.dave.id}/suspend`, { token: OPERATOR_TOKEN })).status,
  ).toBe(200);
}

describe('the projector killed in the middle of a batch', () => {
  it('restarts from its checkpoints, and the read models equal a fresh replay', async () => {
    await writeHistory();
    await until('the in-process projector to catch up', allCaughtUp);
    await app.stopProjector();
    const builtLive = await snapshot();
    const log: RecordedEvent[] = await app.allEvents();
    expect(log.length).toBeGreaterThan(4 * BATCH_SIZE);

    await resetReadModels();
    // Catch-up batches are BATCH_SIZE events from the start: stall half-way into the third.
    const stallIndex = 2 * BATCH_SIZE + BATCH_SIZE / 2;
    const first = startProjector({ STALL_AT: log[stallIndex]!.metadata.eventId });
    await until('the stalled batch', () => applied(first).includes(log[stallIndex]!.position)).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${first.stdout}\n${first.stderr}`);
      },
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    // Two batches committed, the third rolled back with the process.
    expect((await checkpoints()).get(STALLED)?.position).toBe(log[2 * BATCH_SIZE - 1]!.position);

    const second = startProjector();
    await until('the restarted projector to catch up', allCaughtUp);
    // It went on from the checkpoint: nothing before it was applied again.
    expect(applied(second)).toEqual(log.slice(2 * BATCH_SIZE).map((event) => event.position));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const afterCrash = await snapshot();

    // The fresh replay: the whole log, in one transaction per projection, into empty tables.
    await resetReadModels();
    const client = await app.database.ownerPool.connect();
    try {
      for (const projection of PROJECTIONS) {
        await client.query('BEGIN');
        await applyEvents(client, projection, log, (event) => upcasters.upcast(event));
        await client.query('COMMIT');
      }
    } finally {
      client.release();
    }
    const replayed = await snapshot();

    // Not empty, so the comparison means something: every projection has rows.
    for (const projection of PROJECTIONS) {
      expect([projection.name, projection.tables.some((t) => replayed[t]!.length > 0)]).toEqual([
        projection.name,
        true,
      ]);
    }
    expect(afterCrash).toEqual(replayed);
    expect(builtLive).toEqual(replayed);
  }, 120_000);
});
