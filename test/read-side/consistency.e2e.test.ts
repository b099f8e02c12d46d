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

  // Last: it stops the projector.
  it('authenticates a token the projection does not know yet from its user’s stream, with a token', async () => {
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
    // Without a consistency token it is not looked for in the log (the read-path issue's part).
    expectProblem(
      await app.request('GET', '/v1/users/me', { token: issued.body.token, consistent: false }),
      401,
    );
  });
});
