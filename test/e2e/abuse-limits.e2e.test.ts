import http from 'node:http';
import { expectProblem, startE2eApp, type E2eApp } from './support/e2e-app.js';

const FAR_FUTURE = '7fffffffffffffff-0000000000000000';
const WAIT_MS = 2_000;

/**
 * Issue 15, reproduction 9 (abuse): unauthenticated requests held for 5 s by
 * a far-future consistency token, each logged twice at error level; and
 * 2,000 random bearer tokens met no limit.
 */
describe('abuse limits', () => {
  let app: E2eApp;

  beforeAll(async () => {
    app = await startE2eApp({
      consistencyWaitMs: WAIT_MS,
      maxConsistencyWaiting: 3,
      authFailureLimits: { attempts: 5, windowSeconds: 60 },
    });
  }, 60_000);

  afterAll(() => app?.close());

  /** A GET from another loopback source address: the limiter keys on the client's address. */
  function getFrom(
    localAddress: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
    const { hostname, port } = new URL(app.url);
    return new Promise((resolve, reject) => {
      const request = http.get({ hostname, port, path, headers, localAddress }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body: JSON.parse(text) }),
        );
      });
      request.on('error', reject);
    });
  }

  const errorLines = () => app.logs.map((line) => JSON.parse(line)).filter((record) => record.level >= 50);

  it('answers an unauthenticated request with a consistency token 401 at once, without error logs', async () => {
    const someone = await app.registerUser('someone');
    const forged = `${'A'.repeat(43)}.${someone.id}`;
    for (const authorization of [undefined, 'Bearer nonsense', `Bearer ${forged}`]) {
      const started = Date.now();
      const answer = await app.request('GET', '/v1/users/me', {
        headers: { 'x-consistency-token': FAR_FUTURE, ...(authorization ? { authorization } : {}) },
      });
      expectProblem(answer, 401);
      expect(Date.now() - started).toBeLessThan(WAIT_MS / 2);
    }
    expect(errorLines()).toEqual([]);
  });

  it('logs a CONSISTENCY.NOT_YET answer at warn, not error', async () => {
    const erin = await app.registerUser('erin');
    const answer = await app.request('GET', '/v1/users/me', {
      token: erin.token,
      headers: { 'x-consistency-token': FAR_FUTURE },
    });
    expectProblem(answer, 503);
    expect(answer.body.code).toBe('CONSISTENCY.NOT_YET');
    expect(answer.headers.get('retry-after')).toBe('1');
    const records = app.logs.map((line) => JSON.parse(line));
    const logged = records.find((r) => r.res?.statusCode === 503);
    expect(logged?.level).toBe(40);
    expect(errorLines()).toEqual([]);
  });

  it('bounds the requests waiting for a consistency token: beyond it, 503 with Retry-After at once', async () => {
    const frank = await app.registerUser('frank');
    const wait = () =>
      app.request('GET', '/v1/users/me', {
        token: frank.token,
        headers: { 'x-consistency-token': FAR_FUTURE },
      });
    const waiting = [wait(), wait(), wait()];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const busy = expectProblem(await wait(), 503);
    expect(Date.now() - started).toBeLessThan(WAIT_MS / 2);
    expect(busy.body.code).toBe('CONSISTENCY.BUSY');
    expect(busy.headers.get('retry-after')).toBe('1');
    for (const answer of await Promise.all(waiting)) expect(answer.body.code).toBe('CONSISTENCY.NOT_YET');
    // Once they are done, others may wait again.
    expect((await wait()).body.code).toBe('CONSISTENCY.NOT_YET');
    expect(errorLines()).toEqual([]);
  });

  it('limits failed authentication per client address (429, Retry-After); others are unaffected', async () => {
    const grace = await app.registerUser('grace');
    await app.catchUp();
    const me = (from: string, token: string) =>
      getFrom(from, '/v1/users/me', { authorization: `Bearer ${token}` });
    const forged = `${'B'.repeat(43)}.${grace.id}`;

    for (let attempt = 1; attempt <= 5; attempt++) expect((await me('127.0.0.3', forged)).status).toBe(401);
    const limited = await me('127.0.0.3', forged);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.body.code).toBe('AUTH.TOO_MANY_FAILURES');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The address is blocked outright for authenticated routes: its tokens are not even looked at.
    expect((await me('127.0.0.3', grace.token)).status).toBe(429);
    // Probes stay open to it.
    expect((await getFrom('127.0.0.3', '/health', {})).status).toBe(200);

    // Another address: the legitimate user is unaffected, and a failure there is an ordinary 401.
    expect((await me('127.0.0.4', grace.token)).status).toBe(200);
    expect((await me('127.0.0.4', forged)).status).toBe(401);
    // Successful requests spend nothing: a user far over the failure budget in requests is never limited.
    for (let i = 0; i < 10; i++) expect((await me('127.0.0.4', grace.token)).status).toBe(200);
  });
});
