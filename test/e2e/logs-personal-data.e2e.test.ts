import pg from 'pg';
import { pino } from 'pino';
import { serializeErrorSafely } from '../../libs/runtime/index.js';
import { expectProblem, OPERATOR_TOKEN, startE2eApp, type E2eApp } from './support/e2e-app.js';

/**
 * Issue 15, reproduction 4: the error logged for a failed append quoted
 * Postgres's excerpt of the event (its `detail` and `where`), emails and
 * message text included. Commands are made to fail in Postgres on purpose
 * here (a CHECK constraint on the log that refuses events holding a marker),
 * and the captured log is searched for what they carried.
 */
describe('nothing personal in logs', () => {
  let app: E2eApp;
  const marker = `refuse-me-${Date.now()}`;

  beforeAll(async () => {
    app = await startE2eApp();
  }, 60_000);

  afterAll(() => app?.close());

  it('logs a failed command with its code and message, never the email or the message text', async () => {
    const alice = await app.registerUser('alice');
    const org = await app.request('POST', '/v1/orgs', {
      token: alice.token,
      body: { slug: `logs-${Date.now()}`, name: 'Logs' },
    });
    const chat = await app.request('POST', `/v1/orgs/${org.body.org.id}/chats`, {
      token: alice.token,
      body: { title: 'T' },
    });
    expect(chat.status).toBe(201);
    await app.database.ownerPool.query(
      `ALTER TABLE eventstore.events ADD CONSTRAINT refuse_marked CHECK (data::text NOT LIKE '%${marker}%') NOT VALID`,
    );
    try {
      const email = `ada.${marker}@example.com`;
      const messageText = `the launch is on friday ${marker}`;
      expectProblem(
        await app.request('POST', '/v1/users', {
          token: OPERATOR_TOKEN,
          body: { email, displayName: 'Ada' },
        }),
        500,
      );
      expectProblem(
        await app.request('POST', `/v1/orgs/${org.body.org.id}/chats/${chat.body.chat.id}/messages`, {
          token: alice.token,
          body: { body: messageText },
        }),
        500,
      );

      const failures = app.logs.map((line) => JSON.parse(line)).filter((r) => r.msg === 'request failed');
      expect(failures).toHaveLength(2);
      // The cause is still there to read: the Postgres code and the constraint's name.
      for (const failure of failures) {
        expect(failure.err).toMatchObject({ code: '23514', constraint: 'refuse_marked' });
        expect(failure.err.detail).toBeUndefined();
      }
      const everything = app.logs.join('\n');
      for (const secret of [email, messageText, marker, 'ada.']) expect(everything).not.toContain(secret);
    } finally {
      await app.database.ownerPool.query('ALTER TABLE eventstore.events DROP CONSTRAINT refuse_marked');
    }
  });

  it('strips the excerpt Postgres quotes when it refuses JSON (where, detail) and quoted values', async () => {
    const client = new pg.Client({ connectionString: app.databaseUrl });
    await client.connect();
    const errors: unknown[] = [];
    try {
      for (const sql of [
        `SELECT '{"email":"ada@example.com","body":"secret text \\u0000"}'::jsonb`,
        `SELECT 'secret-not-a-uuid@example.com'::uuid`,
      ]) {
        await client.query(sql).catch((error: unknown) => errors.push(error));
      }
    } finally {
      await client.end();
    }
    expect(errors).toHaveLength(2);
    // What pino's own serializer would have written: the proof that Postgres does quote the data.
    expect(JSON.stringify(errors.map((e) => pino.stdSerializers.err(e as Error)))).toContain('@example.com');
    const safe = JSON.stringify(errors.map(serializeErrorSafely));
    expect(safe).not.toContain('@example.com');
    expect(safe).not.toContain('secret');
    expect(safe).toContain('22P02');
  });
});
