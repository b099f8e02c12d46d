import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { auditVerify } from '../../apps/cli/audit-verify.js';
import { auditReplay, type AuditIo } from '../../apps/cli/audit.js';
import { startE2eApp, type E2eApp } from '../e2e/support/e2e-app.js';
import { buildForChildren, killChildren, spawnChild } from '../support/child-processes.js';
import { type ScriptedHistory, scriptHistory } from './scripted-history.js';

/** Output of one in-process run of an audit command. */
function capture(json: boolean): { io: AuditIo; out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { io: { stdout, stderr: new PassThrough(), json }, out: () => text };
}

describe('tenantry audit replay and verify (DESIGN.md §9)', () => {
  let app: E2eApp;
  let h: ScriptedHistory;
  let superuser: pg.Pool;
  let build: string;

  beforeAll(async () => {
    app = await startE2eApp();
    h = await scriptHistory(app);
    superuser = new pg.Pool({ connectionString: app.databaseUrl, max: 1 });
    build = await buildForChildren(['apps', 'libs', 'projections']);
    // Let the projector apply the whole script, so the read model stands where the log does.
    await app.catchUp();
    await app.request('GET', `/v1/orgs/${h.orgId}`, { token: h.olga.token });
  }, 120_000);
  afterEach(() => killChildren());
  afterAll(async () => {
    await superuser?.end();
    await app?.close();
  });

  const runtime = () => ({ eventStore: app.eventStore, appPool: app.database.appPool });
  /** The built `tenantry` command against the test database, as support staff run it. */
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

  it('replay writes one JSON line per (chat, user) with access, equal to GET …/audit/access', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tenantry-replay-')), 'access.jsonl');
    const run = capture(true);
    const asOf = h.step('t4').position;
    expect(await auditReplay(runtime(), { org: h.slug, asOf, out: file }, run.io)).toBe(0);
    expect(JSON.parse(run.out())).toMatchObject({ orgId: h.orgId, lines: 5, out: file });
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const access = await app.request(
      'GET',
      `/v1/orgs/${h.orgId}/audit/access?chatId=${h.chatId}&asOf=${asOf}`,
      {
        token: h.audrey.token,
      },
    );
    expect(lines.map(({ orgId: _o, chatId: _c, ...rest }) => rest)).toEqual(access.body.users);
    expect(new Set(lines.map((l) => l.chatId))).toEqual(new Set([h.chatId]));
  });

  it('verify passes on an untouched system, lists a row altered by hand and exits 1, and passes once it is restored', async () => {
    const clean = capture(false);
    expect(await auditVerify(runtime(), { org: h.orgId }, clean.io)).toBe(0);
    expect(clean.out()).toContain('0 differences');
    const spawnedClean = await cli('--json', 'audit', 'verify', '--org', h.slug);
    expect({ code: spawnedClean.code, stderr: spawnedClean.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(spawnedClean.stdout)).toMatchObject({ ok: true, differences: 0 });

    const where = `WHERE org_id = $1 AND chat_id = $2 AND user_id = $3`;
    const key = [h.orgId, h.chatId, h.alice.id];
    await superuser.query(`UPDATE read_model.chat_access SET permissions = '{read}' ${where}`, key);
    try {
      const tampered = capture(true);
      expect(await auditVerify(runtime(), { all: true }, tampered.io)).toBe(1);
      const report = JSON.parse(tampered.out());
      expect(report).toMatchObject({ ok: false, differences: 1 });
      expect(report.orgs.flatMap((o: { differences: unknown[] }) => o.differences)).toEqual([
        {
          chatId: h.chatId,
          userId: h.alice.id,
          replayed: { permissions: ['read', 'write', 'share', 'delete'], writeBlocked: false },
          live: { permissions: ['read'], writeBlocked: false },
        },
      ]);
      const spawned = await cli('audit', 'verify', '--all');
      expect(spawned.code).toBe(1);
      expect(spawned.stdout).toContain(
        `chat ${h.chatId} user ${h.alice.id}: replay read,write,share,delete, read model read`,
      );
      // A row deleted by hand is a difference too.
      await superuser.query(`DELETE FROM read_model.chat_access ${where}`, key);
      expect(await auditVerify(runtime(), { org: h.orgId }, capture(true).io)).toBe(1);
    } finally {
      await superuser.query(
        `INSERT INTO read_model.chat_access (org_id, chat_id, user_id, permissions, write_blocked, workspace_id, created_position)
         VALUES ($1, $2, $3, '{read,write,share,delete}', false, $4, $5)
         ON CONFLICT (org_id, user_id, chat_id) DO UPDATE SET permissions = EXCLUDED.permissions`,
        [...key, h.workspaceId, h.step('created').position],
      );
    }
    expect(await auditVerify(runtime(), { org: h.slug }, capture(true).io)).toBe(0);
  });

  it('verify compares the chats projection too: an ACL entry or a chat altered by hand is a difference', async () => {
    const entry = `WHERE org_id = $1 AND chat_id = $2 AND subject_kind = $3 AND subject_id = $4`;
    const bobEntry = [h.orgId, h.chatId, 'user', h.bob.id];
    const groupEntry = [h.orgId, h.chatId, 'group', h.groupId];
    const acl = 'read_model.chat_acl_entries';
    const saved = (await superuser.query(`SELECT * FROM ${acl} ${entry}`, groupEntry)).rows[0];
    // Bob left the org at t5: his entry grants nothing, so chat_access cannot tell it was changed.
    await superuser.query(`UPDATE ${acl} SET role = 'editor' ${entry}`, bobEntry);
    await superuser.query(`DELETE FROM ${acl} ${entry}`, groupEntry);
    await superuser.query(
      `UPDATE read_model.chats SET deleted_at = NULL WHERE org_id = $1 AND chat_id = $2`,
      [h.orgId, h.subChatId],
    );
    try {
      const tampered = capture(true);
      expect(await auditVerify(runtime(), { org: h.orgId }, tampered.io)).toBe(1);
      const report = JSON.parse(tampered.out());
      expect(report).toMatchObject({ ok: false, differences: 3 });
      const [org] = report.orgs;
      expect(org.differences).toEqual([]); // chat_access is untouched
      expect(org.chats.differences).toEqual([
        expect.objectContaining({
          table: 'chats',
          key: h.subChatId,
          fields: ['deletedAt'],
          replayed: expect.objectContaining({ deletedAt: h.step('t9').occurredAt }),
          live: expect.objectContaining({ deletedAt: null }),
        }),
        ...[
          {
            table: 'chat_acl_entries',
            key: `${h.chatId}/group:${h.groupId}`,
            fields: expect.arrayContaining(['role', 'grantedPosition']),
            replayed: expect.objectContaining({ role: 'editor', grantedPosition: h.step('t2').position }),
            live: null,
          },
          {
            table: 'chat_acl_entries',
            key: `${h.chatId}/user:${h.bob.id}`,
            fields: ['role'],
            replayed: expect.objectContaining({ role: 'viewer', grantedPosition: h.step('t1').position }),
            live: expect.objectContaining({ role: 'editor' }),
          },
        ].sort((a, b) => (a.key < b.key ? -1 : 1)),
      ]);
      const spawned = await cli('audit', 'verify', '--org', h.slug);
      expect(spawned.code).toBe(1);
      expect(spawned.stdout).toContain(
        `chats at ${org.chats.position}: 2 chats, 1 ACL entries, 3 differences`,
      );
      expect(spawned.stdout).toContain(
        `chat_acl_entries ${h.chatId}/user:${h.bob.id}: role replay "viewer", read model "editor"`,
      );
      expect(spawned.stdout).toContain(
        `chat_acl_entries ${h.chatId}/group:${h.groupId}: missing from the read model`,
      );
      expect(spawned.stdout).toContain(
        `chats ${h.subChatId}: deletedAt replay "${h.step('t9').occurredAt}", read model null`,
      );
    } finally {
      await superuser.query(`UPDATE ${acl} SET role = 'viewer' ${entry}`, bobEntry);
      await superuser.query(
        `INSERT INTO ${acl} (org_id, chat_id, subject_kind, subject_id, role, granted_event_id, granted_position, granted_occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          ...groupEntry,
          saved.role,
          saved.granted_event_id,
          saved.granted_position,
          saved.granted_occurred_at,
        ],
      );
      await superuser.query(
        `UPDATE read_model.chats SET deleted_at = $3 WHERE org_id = $1 AND chat_id = $2`,
        [h.orgId, h.subChatId, h.step('t9').occurredAt],
      );
    }
    const clean = capture(false);
    expect(await auditVerify(runtime(), { org: h.orgId }, clean.io)).toBe(0);
    expect(clean.out()).toContain('2 chats, 2 ACL entries, 0 differences');
  });

  it('refuses an unknown org and a malformed --as-of with a non-zero exit and a JSON error', async () => {
    const unknown = await cli('--json', 'audit', 'verify', '--org', 'no-such-org');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toEqual({
      error: { code: 'org-not-found', message: expect.any(String) },
    });
    const badAsOf = await cli('--json', 'audit', 'replay', '--org', h.slug, '--as-of', 'yesterday');
    expect(badAsOf.code).toBe(1);
    expect(JSON.parse(badAsOf.stdout).error.code).toBe('invalid-as-of');
  });
});
