import { expectProblem, OPERATOR_TOKEN, startE2eApp, type E2eApp } from './support/e2e-app.js';

describe('users and tokens over HTTP (DESIGN.md §4, §10)', () => {
  let app: E2eApp;

  beforeAll(async () => {
    app = await startE2eApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const operator = { token: OPERATOR_TOKEN };

  describe('POST /v1/users', () => {
    it('registers a user with a first token, shown once, and answers its consistency token', async () => {
      const answer = await app.request('POST', '/v1/users', {
        ...operator,
        body: { email: 'Ada@Example.com', displayName: 'Ada' },
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        user: { id: expect.any(String), email: 'ada@example.com', displayName: 'Ada', status: 'active' },
        token: expect.any(String),
        position: expect.any(String),
      });
      expect(answer.headers.get('x-consistency-token')).toBe(answer.body.position);
      expect(Buffer.from(answer.body.token.split('.')[0], 'base64url').length).toBeGreaterThanOrEqual(32);
      const events = (await app.allEvents()).filter((e) => e.streamName === `user-${answer.body.user.id}`);
      expect(events.map((e) => e.type)).toEqual(['UserRegistered', 'ApiTokenIssued']);
      expect(events[1]!.data).toMatchObject({
        prefix: answer.body.token.slice(0, 8),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(events[1]!.metadata).toMatchObject({ actorId: 'operator', schemaVersion: 1 });
    });

    it('refuses a taken email with 409 and appends nothing', async () => {
      const body = { email: 'grace@example.com', displayName: 'Grace' };
      expect((await app.request('POST', '/v1/users', { ...operator, body })).status).toBe(201);
      const before = (await app.allEvents()).length;
      const again = await app.request('POST', '/v1/users', {
        ...operator,
        body: { ...body, email: 'GRACE@example.com' },
      });
      expectProblem(again, 409);
      expect(again.body.code).toBe('USER.EMAIL_TAKEN');
      expect((await app.allEvents()).length).toBe(before);
    });

    it('refuses unknown fields, missing fields and a bad email with 400 naming them, appending nothing', async () => {
      const before = (await app.allEvents()).length;
      expectProblem(
        await app.request('POST', '/v1/users', {
          ...operator,
          body: { email: 'x@example.com', displayName: 'X', admin: true },
        }),
        400,
        ['admin'],
      );
      expectProblem(
        await app.request('POST', '/v1/users', { ...operator, body: { email: 'x@example.com' } }),
        400,
        ['displayName'],
      );
      expectProblem(
        await app.request('POST', '/v1/users', {
          ...operator,
          body: { email: 'not-an-email', displayName: 'X' },
        }),
        400,
        ['email'],
      );
      expect((await app.allEvents()).length).toBe(before);
    });

    it('is for the operator only: 401 without a token, 403 for a user', async () => {
      expectProblem(
        await app.request('POST', '/v1/users', { body: { email: 'a@b.co', displayName: 'A' } }),
        401,
      );
      expectProblem(
        await app.request('POST', '/v1/users', {
          token: 'nonsense',
          body: { email: 'a@b.co', displayName: 'A' },
        }),
        401,
      );
      const user = await app.registerUser('mallory');
      const answer = await app.request('POST', '/v1/users', {
        token: user.token,
        body: { email: 'a@b.co', displayName: 'A' },
      });
      expectProblem(answer, 403);
    });
  });

  describe('tokens', () => {
    it('issues a token that works, lists nothing in plaintext, and revokes it (then 401)', async () => {
      const user = await app.registerUser('linus');
      const issued = await app.request('POST', '/v1/users/me/tokens', {
        token: user.token,
        body: { name: 'laptop' },
      });
      expect(issued.status).toBe(201);
      expect(issued.body).toMatchObject({
        id: expect.any(String),
        name: 'laptop',
        prefix: issued.body.token.slice(0, 8),
      });
      // The new token authenticates.
      const second = await app.request('POST', '/v1/users/me/tokens', {
        token: issued.body.token,
        body: { name: 'ci' },
      });
      expect(second.status).toBe(201);
      const revoked = await app.request('DELETE', `/v1/users/me/tokens/${issued.body.id}`, {
        token: user.token,
      });
      expect(revoked.status).toBe(204);
      expect(revoked.headers.get('x-consistency-token')).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
      expectProblem(
        await app.request('POST', '/v1/users/me/tokens', { token: issued.body.token, body: { name: 'x' } }),
        401,
      );
    });

    it('answers the operator 404 on user routes: it has no user data', async () => {
      expectProblem(
        await app.request('POST', '/v1/users/me/tokens', { ...operator, body: { name: 'x' } }),
        404,
      );
    });

    it('refuses a malformed token id with 400 naming it', async () => {
      const user = await app.registerUser('ken');
      expectProblem(
        await app.request('DELETE', '/v1/users/me/tokens/not-a-uuid', { token: user.token }),
        400,
        ['tokenId'],
      );
    });
  });

  describe('suspension', () => {
    it('makes every token of the user 401 until reactivated', async () => {
      const user = await app.registerUser('barbara');
      const suspended = await app.request('POST', `/v1/users/${user.id}/suspend`, operator);
      expect(suspended.status).toBe(200);
      expect(suspended.body).toMatchObject({ id: user.id, status: 'suspended' });
      expectProblem(
        await app.request('POST', '/v1/users/me/tokens', { token: user.token, body: { name: 'x' } }),
        401,
      );
      expect((await app.request('POST', `/v1/users/${user.id}/reactivate`, operator)).body.status).toBe(
        'active',
      );
      expect(
        (await app.request('POST', '/v1/users/me/tokens', { token: user.token, body: { name: 'x' } })).status,
      ).toBe(201);
    });

    it('answers 404 for an unknown user and 400 for a malformed id', async () => {
      expectProblem(
        await app.request('POST', '/v1/users/00000000-0000-4000-8000-000000000000/suspend', operator),
        404,
      );
      expectProblem(await app.request('POST', '/v1/users/42/suspend', operator), 400, ['id']);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a repeat with the first answer and appends nothing; another body is 422', async () => {
      const headers = { 'idempotency-key': 'register-edsger' };
      const body = { email: 'edsger@example.com', displayName: 'Edsger' };
      const first = await app.request('POST', '/v1/users', { ...operator, headers, body });
      expect(first.status).toBe(201);
      const count = (await app.allEvents()).length;
      const repeat = await app.request('POST', '/v1/users', { ...operator, headers, body });
      expect(repeat.status).toBe(201);
      // The plaintext token is shown once: the repeat has everything else.
      expect(repeat.body).toEqual({ ...first.body, token: null });
      expect(repeat.headers.get('x-consistency-token')).toBe(first.body.position);
      expect((await app.allEvents()).length).toBe(count);
      expectProblem(
        await app.request('POST', '/v1/users', { ...operator, headers, body: { ...body, displayName: 'E' } }),
        422,
      );
    });

    it('is scoped to the caller', async () => {
      const a = await app.registerUser('a');
      const b = await app.registerUser('b');
      const headers = { 'idempotency-key': 'same-key' };
      const fromA = await app.request('POST', '/v1/users/me/tokens', {
        token: a.token,
        headers,
        body: { name: 'k' },
      });
      const fromB = await app.request('POST', '/v1/users/me/tokens', {
        token: b.token,
        headers,
        body: { name: 'k' },
      });
      expect([fromA.status, fromB.status]).toEqual([201, 201]);
      expect(fromA.body.id).not.toBe(fromB.body.id);
    });
  });

  describe('requests', () => {
    it('refuses a body over 64 KiB with 413', async () => {
      const answer = await app.request('POST', '/v1/users', {
        ...operator,
        body: { email: 'big@example.com', displayName: 'x'.repeat(70 * 1024) },
      });
      expectProblem(answer, 413);
    });

    it('refuses malformed JSON with 400 and a stable code', async () => {
      for (const rawBody of ['{"email":', 'null']) {
        const answer = expectProblem(await app.request('POST', '/v1/users', { ...operator, rawBody }), 400);
        expect(answer.body.code).toBe('REQUEST.MALFORMED_JSON');
      }
    });

    it('serves the OpenAPI document built from the DTOs', async () => {
      const answer = await app.request('GET', '/openapi.json');
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body.paths)).toEqual(
        expect.arrayContaining(['/v1/users', '/v1/users/me/tokens']),
      );
      expect(answer.body.components.schemas.RegisterUserDto.required).toEqual(['email', 'displayName']);
    });
  });

  it('never stores or logs a plaintext token (DESIGN.md §4)', async () => {
    const user = await app.registerUser('secretive');
    const issued = await app.request('POST', '/v1/users/me/tokens', {
      token: user.token,
      headers: { 'idempotency-key': 'keep-this-answer' },
      body: { name: 'x' },
    });
    const plaintexts = [user.token, issued.body.token as string, OPERATOR_TOKEN];
    const secretsOf = (text: string) =>
      plaintexts.filter((p) => text.includes(p) || text.includes(p.split('.')[0]!));
    expect(secretsOf(JSON.stringify(await app.allEvents()))).toEqual([]);
    expect(secretsOf(app.logs.join('\n'))).toEqual([]);
    // Every table of every schema, as text.
    const { rows: tables } = await app.database.ownerPool.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(2);
    for (const table of tables) {
      const { rows } = await app.database.ownerPool.query(
        `SELECT t::text AS row FROM "${table.schema}"."${table.name}" t`,
      );
      expect(secretsOf(rows.map((r) => r.row).join('\n'))).toEqual([]);
    }
  });
});
