import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type E2eApp, expectProblem, OPERATOR_TOKEN, startE2eApp } from '../e2e/support/e2e-app.js';

/**
 * DESIGN.md §7: a read carrying a command's X-Consistency-Token sees that
 * command's effect, or answers 503 with Retry-After; and tokens issued,
 * revoked or suspended by a command hold for the next request that carries
 * its position (authentication comes first, then the wait: see
 * apps/api/auth/bearer-auth.guard.ts and test/e2e/abuse-limits.e2e.test.ts).
 */
describe('consistency tokens', () => {
  let app: E2eApp;
  const at = (token: string, position: string) => ({
    token,
    consistent: false,
    headers: { 'x-consistency-token': position },
  });

  beforeAll(async () => {
    app = await startE2eApp({ consistencyWaitMs: 2_000 });
  }, 60_000);

  afterAll(() => app?.close());

  it('new enemy: after an unshare, a read with its token is denied, every time (200 rounds)', async () => {
    const alice = await app.registerUser('alice');
    const bob = await app.registerUser('bob');
    const { body } = await app.request('POST', '/v1/orgs', {
      token: alice.token,
      body: { slug: `enemy-${Date.now()}`, name: 'Enemy' },
    });
    const base = `/v1/orgs/${body.org.id}`;
    expect(
      (
        await app.request('PUT', `${base}/members/${bob.id}`, {
          token: alice.token,
          body: { role: 'member' },
        })
      ).status,
    ).toBe(201);
    const chat = await app.request('POST', `${base}/chats`, {
      token: alice.token,
      body: { title: 'secret' },
    });
    const chatPath = `${base}/chats/${chat.body.chat.id}`;
    const outcomes: string[] = [];
    for (let round = 0; round < 200; round++) {
      const share = await app.request('PATCH', `${chatPath}/acl`, {
        token: alice.token,
        consistent: false,
        body: { users: { [bob.id]: 'viewer' } },
      });
      const granted = await app.request(
        'GET',
        chatPath,
        at(bob.token, share.headers.get('x-consistency-token')!),
      );
      const unshare = await app.request('PATCH', `${chatPath}/acl`, {
        token: alice.token,
        consistent: false,
        body: { users: { [bob.id]: '' } },
      });
      const denied = await app.request(
        'GET',
        chatPath,
        at(bob.token, unshare.headers.get('x-consistency-token')!),
      );
      outcomes.push(`${share.status}/${granted.status}/${unshare.status}/${denied.status}`);
    }
    expect(new Set(outcomes)).toEqual(new Set(['200/200/200/404']));
  }, 120_000);

  it('a token issued by a command works on the next request carrying its position', async () => {
    const carol = await app.registerUser('carol');
    const issued = await app.request('POST', '/v1/users/me/tokens', {
      token: carol.token,
      body: { name: 'ci' },
    });
    expect(issued.status).toBe(201);
    const me = await app.request(
      'GET',
      '/v1/users/me',
      at(issued.body.token, issued.headers.get('x-consistency-token')!),
    );
    expect(me).toMatchObject({ status: 200, body: { user: { id: carol.id } } });
  });

  it('revocation and suspension hold for a request carrying the command’s position', async () => {
    const dave = await app.registerUser('dave');
    const spare = await app.request('POST', '/v1/users/me/tokens', {
      token: dave.token,
      body: { name: 'spare' },
    });
    const revoked = await app.request('DELETE', `/v1/users/me/tokens/${spare.body.id}`, {
      token: dave.token,
    });
    expect(revoked.status).toBe(204);
    expectProblem(
      await app.request(
        'GET',
        '/v1/users/me',
        at(spare.body.token, revoked.headers.get('x-consistency-token')!),
      ),
      401,
    );
    const suspended = await app.request('POST', `/v1/users/${dave.id}/suspend`, { token: OPERATOR_TOKEN });
    expect(suspended.status).toBe(200);
    expectProblem(
      await app.request('GET', '/v1/users/me', at(dave.token, suspended.headers.get('x-consistency-token')!)),
      401,
    );
  });

  it('a position the projections do not reach in time answers 503 with Retry-After', async () => {
    const erin = await app.registerUser('erin');
    const answer = await app.request(
      'GET',
      '/v1/users/me',
      at(erin.token, '7fffffffffffffff-0000000000000000'),
    );
    expectProblem(answer, 503);
    expect(answer.headers.get('retry-after')).toBe('1');
  });

  it('a malformed token is a 400 naming the header', async () => {
    const frank = await app.registerUser('frank');
    expectProblem(await app.request('GET', '/v1/users/me', at(frank.token, 'yesterday')), 400, [
      'X-Consistency-Token',
    ]);
  });

  it('a token from POST /v1/users works on the very next request, without a consistency token (30 rounds)', async () => {
    // Every projection installed (its tables made) first: this is about lag, not a fresh start.
    const warm = await app.registerUser('warm');
    expect((await app.request('GET', '/v1/orgs', { token: warm.token })).status).toBe(200);
    const outcomes: string[] = [];
    for (let round = 0; round < 30; round++) {
      const { id, token } = await app.registerUser(`next-${round}`);
      const me = await app.request('GET', '/v1/users/me', { token, consistent: false });
      const orgs = await app.request('GET', '/v1/orgs', { token, consistent: false });
      const created = await app.request('POST', '/v1/orgs', {
        token,
        consistent: false,
        body: { slug: `next-${round}-${Date.now()}`, name: 'Next' },
      });
      outcomes.push(`${me.status}/${me.body?.user?.id === id}/${orgs.status}/${created.status}`);
    }
    expect(new Set(outcomes)).toEqual(new Set(['200/true/200/201']));
  });

  it('a revoked token is refused on the next request, however the projection lags, given its position', async () => {
    const hana = await app.registerUser('hana');
    for (let round = 0; round < 10; round++) {
      const issued = await app.request('POST', '/v1/users/me/tokens', {
        token: hana.token,
        consistent: false,
        body: { name: `t${round}` },
      });
      expect(
        (await app.request('GET', '/v1/orgs', { token: issued.body.token, consistent: false })).status,
      ).toBe(200);
      const revoked = await app.request('DELETE', `/v1/users/me/tokens/${issued.body.id}`, {
        token: hana.token,
        consistent: false,
      });
      expect(revoked.status).toBe(204);
      expectProblem(
        await app.request(
          'GET',
          '/v1/orgs',
          at(issued.body.token, revoked.headers.get('x-consistency-token')!),
        ),
        401,
      );
    }
  });

  // Last: they stop the projector.
  it('authenticates a token the projection does not know yet from its user’s stream, with or without a token', async () => {
    const gina = await app.registerUser('gina');
    expect((await app.request('GET', '/v1/users/me', { token: gina.token })).status).toBe(200);
    const before = await app.eventStore.headPosition();
    await app.stopProjector();
    const issued = await app.request('POST', '/v1/users/me/tokens', {
      token: gina.token,
      consistent: false,
      body: { name: 'fresh' },
    });
    expect(issued.status).toBe(201);
    // The projections have reached `before`, not the issue: only the log knows the new token.
    const me = await app.request('GET', '/v1/users/me', at(issued.body.token, before));
    expect(me).toMatchObject({ status: 200, body: { user: { id: gina.id } } });
    const bare = await app.request('GET', '/v1/users/me', { token: issued.body.token, consistent: false });
    expect(bare).toMatchObject({ status: 200, body: { user: { id: gina.id } } });
    // A command, and a read of another route, alike.
    const org = await app.request('POST', '/v1/orgs', {
      token: issued.body.token,
      consistent: false,
      body: { slug: `fresh-${Date.now()}`, name: 'Fresh' },
    });
    expect(org.status).toBe(201);
    expect(
      (await app.request('GET', '/v1/users/me/tokens', { token: issued.body.token, consistent: false }))
        .status,
    ).toBe(200);
    // A well-formed token its user's stream does not hold is still refused.
    expectProblem(
      await app.request('GET', '/v1/users/me', { token: `${'C'.repeat(43)}.${gina.id}`, consistent: false }),
      401,
    );
  });

  it('a brand-new user, whom no projection knows, authenticates from their stream', async () => {
    // The projector is stopped (previous test): registered without waiting for it.
    const registered = await app.request('POST', '/v1/users', {
      token: OPERATOR_TOKEN,
      consistent: false,
      body: { email: `ivan-${Date.now()}@example.com`, displayName: 'ivan' },
    });
    expect(registered.status).toBe(201);
    const ivan = { id: registered.body.user.id as string, token: registered.body.token as string };
    const orgs = await app.request('GET', '/v1/orgs', { token: ivan.token, consistent: false });
    expect(orgs).toMatchObject({ status: 200, body: { items: [] } });
    const created = await app.request('POST', '/v1/orgs', {
      token: ivan.token,
      consistent: false,
      body: { slug: `ivan-${Date.now()}`, name: 'Ivan' },
    });
    expect(created.status).toBe(201);
    // Their profile waits for the projections, which are stopped: 503, never a 404 or a 401.
    const me = await app.request('GET', '/v1/users/me', { token: ivan.token, consistent: false });
    expectProblem(me, 503);
  });
});
