import {
  type ApiAnswer,
  expectProblem,
  OPERATOR_TOKEN,
  type RequestOptions,
  startE2eApp,
  type E2eApp,
} from './support/e2e-app.js';

/**
 * Issue 15, "hostile input": bad input on any route is a 4xx problem+json
 * naming the field or header, never a 5xx, and appends nothing. One case
 * per reproduction of the issue (numbers as there).
 */
describe('hostile input over HTTP', () => {
  let app: E2eApp;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let orgPath: string;
  let wsPath: string;
  let chatPath: string;
  let groupId: string;

  beforeAll(async () => {
    app = await startE2eApp();
    alice = await app.registerUser('alice');
    bob = await app.registerUser('bob');
    const org = await app.request('POST', '/v1/orgs', {
      token: alice.token,
      body: { slug: `hostile-${Date.now()}`, name: 'Hostile' },
    });
    orgPath = `/v1/orgs/${org.body.org.id}`;
    await app.request('PUT', `${orgPath}/members/${bob.id}`, {
      token: alice.token,
      body: { role: 'member' },
    });
    const ws = await app.request('POST', `${orgPath}/workspaces`, {
      token: alice.token,
      body: { slug: 'design', name: 'Design' },
    });
    wsPath = `${orgPath}/workspaces/${ws.body.workspace.id}`;
    const group = await app.request('POST', `${orgPath}/groups`, { token: alice.token, body: { name: 'G' } });
    groupId = group.body.group.id;
    const chat = await app.request('POST', `${orgPath}/chats`, { token: alice.token, body: { title: 'T' } });
    chatPath = `${orgPath}/chats/${chat.body.chat.id}`;
    for (const answer of [org, ws, group, chat]) expect(answer.status).toBe(201);
  }, 60_000);

  afterAll(() => app?.close());

  const eventCount = async () =>
    Number(
      (await app.database.ownerPool.query<{ n: string }>('SELECT count(*) AS n FROM eventstore.events'))
        .rows[0]!.n,
    );

  /** Sends a request that must be refused with `status` naming `fields`, and checks that nothing was appended. */
  async function refused(
    method: string,
    path: string,
    options: RequestOptions,
    status: number,
    fields?: string[],
  ): Promise<ApiAnswer> {
    const before = await eventCount();
    const answer = expectProblem(await app.request(method, path, options), status, fields);
    expect(await eventCount()).toBe(before);
    return answer;
  }

  /** Every free-text field of every route, with a body that is valid but for that field. */
  const freeText = () =>
    [
      ['POST', '/v1/users', OPERATOR_TOKEN, { email: 'zed@example.com', displayName: '$' }, 'displayName'],
      ['POST', '/v1/users', OPERATOR_TOKEN, { email: 'z$d@example.com', displayName: 'Zed' }, 'email'],
      ['POST', '/v1/users/me/tokens', alice.token, { name: '$' }, 'name'],
      ['POST', '/v1/orgs', alice.token, { slug: 'fresh-org', name: '$' }, 'name'],
      ['POST', `${orgPath}/groups`, alice.token, { name: '$' }, 'name'],
      ['POST', `${orgPath}/workspaces`, alice.token, { slug: 'fresh-ws', name: '$' }, 'name'],
      ['POST', `${orgPath}/chats`, alice.token, { title: '$' }, 'title'],
      ['PATCH', chatPath, alice.token, { title: '$' }, 'title'],
      ['POST', `${chatPath}/messages`, alice.token, { body: '$' }, 'body'],
    ] as const;

  describe('1, 2: NUL and unpaired surrogates, which the event log cannot hold', () => {
    for (const [what, bad] of [
      ['NUL', 'a\u0000b'],
      ['a lone high surrogate', 'a\ud800b'],
      ['a lone low surrogate', '\udc00'],
    ] as const) {
      it(`answers 400 naming the field for ${what} in every free-text field, appending nothing`, async () => {
        for (const [method, path, token, body, field] of freeText()) {
          const hostile = Object.fromEntries(
            Object.entries(body).map(([key, value]) => [key, value.replace('$', bad)]),
          );
          await refused(method, path, { token, body: hostile }, 400, [field]);
        }
      });
    }

    it('accepts the same text with a well-formed surrogate pair', async () => {
      const answer = await app.request('POST', `${chatPath}/messages`, {
        token: alice.token,
        body: { body: 'a\ud83d\ude00b' },
      });
      expect(answer.status).toBe(201);
    });

    it('names such text in a query parameter too', async () => {
      await refused('GET', `${orgPath}/chats?workspaceId=a%00b`, { token: alice.token }, 400, [
        'workspaceId',
      ]);
    });
  });

  describe('3: deeply nested JSON', () => {
    const nested = (depth: number) => `{"title":${'['.repeat(depth)}${']'.repeat(depth)}}`;

    it('answers 400 on every route that takes a body (2.6 KB, 1,300 levels), appending nothing', async () => {
      const routes: Array<[string, string, string]> = [
        ['POST', '/v1/users', OPERATOR_TOKEN],
        ['POST', '/v1/users/me/tokens', alice.token],
        ['POST', '/v1/orgs', alice.token],
        ['PATCH', `${orgPath}/settings`, alice.token],
        ['PUT', `${orgPath}/members/${bob.id}`, alice.token],
        ['POST', `${orgPath}/groups`, alice.token],
        ['POST', `${orgPath}/workspaces`, alice.token],
        ['PUT', `${wsPath}/members/${bob.id}`, alice.token],
        ['POST', `${orgPath}/chats`, alice.token],
        ['PATCH', chatPath, alice.token],
        ['POST', `${chatPath}/messages`, alice.token],
        ['PATCH', `${chatPath}/acl`, alice.token],
      ];
      for (const [method, path, token] of routes) {
        const answer = await refused(method, path, { token, rawBody: nested(1_300) }, 400);
        expect(answer.body.errors[0].message).toMatch(/nests deeper than/);
      }
    });

    it('still reads an ordinary nested body', async () => {
      const answer = await app.request('PATCH', `${chatPath}/acl`, {
        token: alice.token,
        body: { users: { [bob.id]: 'viewer' } },
      });
      expect(answer.status).toBe(200);
    });
  });

  describe('5: prototype keys are refused like any unknown field', () => {
    it('in a body', async () => {
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        await refused(
          'POST',
          `${orgPath}/groups`,
          { token: alice.token, rawBody: `{"name":"g","${key}":{"x":1}}` },
          400,
          [key],
        );
      }
    });

    it('as keys of the ACL maps', async () => {
      await refused(
        'PATCH',
        `${chatPath}/acl`,
        { token: alice.token, body: { users: { constructor: 'editor' } } },
        400,
        ['users.constructor'],
      );
      await refused(
        'PATCH',
        `${chatPath}/acl`,
        { token: alice.token, rawBody: `{"groups":{"__proto__":"viewer","${groupId}":"viewer"}}` },
        400,
        ['groups.__proto__'],
      );
    });
  });

  describe('6: a body that is not JSON', () => {
    const share = () => JSON.stringify({ users: { [bob.id]: 'editor' } });

    it('answers 415 for text/plain and form bodies, and shares nothing', async () => {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const answer = await refused(
          'PATCH',
          `${chatPath}/acl`,
          { token: alice.token, rawBody: share(), headers: { 'content-type': type } },
          415,
          ['Content-Type'],
        );
        expect(answer.body.code).toBe('REQUEST.UNSUPPORTED_MEDIA_TYPE');
      }
    });

    it('answers 415 for a body with no content type at all', async () => {
      const before = await eventCount();
      const response = await fetch(`${app.url}${chatPath}/acl`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${alice.token}` },
        body: new TextEncoder().encode(share()),
      });
      expect(response.status).toBe(415);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await eventCount()).toBe(before);
    });

    it('answers 400 for JSON that is not an object', async () => {
      for (const rawBody of ['[]', '[{"title":"x"}]', '"title"', 'null', '17']) {
        await refused('POST', `${orgPath}/chats`, { token: alice.token, rawBody }, 400);
      }
    });

    it('still takes a bodiless POST with no content type', async () => {
      const response = await fetch(`${app.url}${wsPath}/archive`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice.token}` },
      });
      expect(response.status).toBe(200);
      expect(
        (await app.request('POST', `${wsPath}/unarchive`, { token: alice.token, headers: {} })).status,
      ).toBe(200);
    });
  });

  describe('10: slugs shaped like a UUID', () => {
    it('are refused for orgs and workspaces with 400 naming the slug', async () => {
      const slug = '3f0c0d1e-8a57-4a8e-9a55-2b6f0e5d9c11';
      await refused('POST', '/v1/orgs', { token: alice.token, body: { slug, name: 'U' } }, 400, ['slug']);
      await refused('POST', `${orgPath}/workspaces`, { token: alice.token, body: { slug, name: 'U' } }, 400, [
        'slug',
      ]);
    });
  });

  describe('the Authorization header (RFC 9110 §11.4, RFC 6750 §2.1)', () => {
    const me = (authorization: string) => app.request('GET', '/v1/users/me', { headers: { authorization } });

    it('reads the scheme case-insensitively, after one or more spaces', async () => {
      for (const scheme of ['Bearer ', 'bearer ', 'BEARER ', 'Bearer   ']) {
        expect((await me(`${scheme}${alice.token}`)).status).toBe(200);
      }
    });

    it('answers 401 with WWW-Authenticate for another scheme or a token that is not token68', async () => {
      for (const header of [
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Bearer${alice.token}`,
        `Bearer ${alice.token} extra`,
        `Bearer token="${alice.token}"`,
        'Bearer a=b',
        'Bearer ',
      ]) {
        const answer = expectProblem(await me(header), 401);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    });
  });
});
