import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ReadTransaction } from '../../libs/persistence/index.js';
import { getCallerChatAccess } from '../../projections/chat-access/index.js';
import { enterOrg } from '../../projections/organizations/index.js';
import { authenticateCaller } from '../../projections/users/index.js';
import {
  type ApiAnswer,
  type E2eApp,
  expectProblem,
  OPERATOR_TOKEN,
  startE2eApp,
} from '../e2e/support/e2e-app.js';

/**
 * Issue 12: one read transaction per request. A route that reads the read
 * models authenticates, resolves its org, checks access and reads in one
 * transaction on one connection (apps/api/read-side/request-read-scope.ts),
 * and the connection goes back to the pool on every path.
 */
describe('the request read scope', () => {
  let app: E2eApp;
  let owner: { id: string; token: string };
  let outsider: { id: string; token: string };
  let orgId: string;
  let chatPath: string;
  let chatId: string;

  beforeAll(async () => {
    app = await startE2eApp({ consistencyWaitMs: 1_000 });
    owner = await app.registerUser('owner');
    outsider = await app.registerUser('outsider');
    const org = await app.request('POST', '/v1/orgs', {
      token: owner.token,
      body: { slug: `scope-${Date.now()}`, name: 'Scope' },
    });
    orgId = org.body.org.id;
    const chat = await app.request('POST', `/v1/orgs/${orgId}/chats`, {
      token: owner.token,
      body: { title: 'scoped' },
    });
    chatId = chat.body.chat.id;
    chatPath = `/v1/orgs/${orgId}/chats/${chatId}`;
    // Every request below may run without a consistency token.
    expect((await app.request('GET', chatPath, { token: owner.token })).status).toBe(200);
  }, 60_000);

  afterAll(() => app?.close());

  /**
   * Records the connections checked out of the app pool (by awaiting code, not pool.query), what
   * runs on them, and how many writes reach their sockets: statements sent together leave in one
   * write (libs/persistence coalesceWrites), so writes count round trips.
   */
  function recordAppPool(pool: pg.Pool) {
    const original = pool.connect;
    const seen = { connects: 0, statements: [] as string[], writes: 0 };
    pool.connect = function (this: pg.Pool, ...args: unknown[]) {
      if (args.length > 0) return (original as (...a: unknown[]) => unknown).apply(this, args);
      seen.connects++;
      return ((original as () => Promise<pg.PoolClient>).call(this) as Promise<pg.PoolClient>).then(
        (client) => {
          const query = client.query;
          const release = client.release;
          const socket = client.connection.stream;
          const [write, writev] = [socket._write, socket._writev];
          socket._write = function (this: typeof socket, ...writeArgs: Parameters<typeof write>) {
            seen.writes++;
            return write.apply(this, writeArgs);
          };
          if (writev) {
            socket._writev = function (this: typeof socket, ...writeArgs: Parameters<typeof writev>) {
              seen.writes++;
              return writev.apply(this, writeArgs);
            };
          }
          client.query = function (this: pg.PoolClient, ...queryArgs: unknown[]) {
            const text = queryArgs[0];
            seen.statements.push(typeof text === 'string' ? text : String((text as { text?: string }).text));
            return (query as (...a: unknown[]) => unknown).apply(this, queryArgs);
          } as typeof client.query;
          client.release = function (this: pg.PoolClient, ...releaseArgs: unknown[]) {
            socket._write = write;
            socket._writev = writev;
            client.query = query;
            client.release = release;
            return (release as (...a: unknown[]) => unknown).apply(this, releaseArgs);
          } as typeof client.release;
          return client;
        },
      );
    } as typeof pool.connect;
    return { seen, stop: () => (pool.connect = original) };
  }

  /** Waits until every connection of the app pool is back (a scope's COMMIT is not awaited by the answer). */
  async function poolSettled(pool: pg.Pool): Promise<{ checkedOut: number }> {
    for (let i = 0; i < 200; i++) {
      if (pool.totalCount === pool.idleCount) break;
      await sleep(10);
    }
    return { checkedOut: pool.totalCount - pool.idleCount };
  }

  it('answers a GET of a chat from one connection, in one transaction, in one round trip', async () => {
    const pool = app.database.appPool;
    for (const [token, status] of [
      [owner.token, 200],
      [outsider.token, 404],
    ] as const) {
      await poolSettled(pool);
      const recording = recordAppPool(pool);
      try {
        const answer = await app.request('GET', chatPath, { token, consistent: false });
        expect(answer.status).toBe(status);
        if (status === 200) expect(answer.body).toMatchObject({ chat: { id: chatId, title: 'scoped' } });
        expect(await poolSettled(pool)).toEqual({ checkedOut: 0 });
      } finally {
        recording.stop();
      }
      const { connects, statements, writes } = recording.seen;
      expect({ connects, writes }).toEqual({ connects: 1, writes: 1 });
      expect(statements.filter((text) => text.startsWith('BEGIN'))).toHaveLength(1);
      expect(statements.at(-1)).toBe('COMMIT');
    }
  });

  it('answers a page of chats in one round trip too, its 400s and 404s included', async () => {
    const pool = app.database.appPool;
    const list = `/v1/orgs/${orgId}/chats`;
    for (const [token, path, status] of [
      [owner.token, list, 200],
      [owner.token, `${list}?limit=1`, 200],
      [outsider.token, list, 404],
      [owner.token, `${list}?cursor=not-ours`, 400],
      [outsider.token, `${list}?workspaceId=nope`, 400],
      [owner.token, '/v1/orgs/not~an~org/chats', 404],
    ] as const) {
      await poolSettled(pool);
      const recording = recordAppPool(pool);
      let answer: ApiAnswer<{ items: Array<{ id: string }>; nextCursor: string | null }>;
      try {
        answer = await app.request('GET', path, { token, consistent: false });
        expect(await poolSettled(pool)).toEqual({ checkedOut: 0 });
      } finally {
        recording.stop();
      }
      expect({ path, status: answer.status }).toEqual({ path, status });
      if (status === 200) {
        expect(answer.body.items.map((item) => item.id)).toEqual([chatId]);
        expect(answer.body.nextCursor).toBeNull();
      }
      const { connects, writes } = recording.seen;
      expect({ path, connects, writes }).toEqual({ path, connects: 1, writes: 1 });
      expect(recording.seen.statements.at(-1)).toBe('COMMIT');
    }
  });

  it('gives every connection back, whatever the answer', async () => {
    const pool = app.database.appPool;
    const get = (path: string, token?: string, headers?: Record<string, string>) =>
      app.request('GET', path, {
        consistent: false,
        ...(token ? { token } : {}),
        ...(headers ? { headers } : {}),
      });
    const answers = await Promise.all([
      get(chatPath, owner.token),
      get(`${chatPath}/messages`, owner.token),
      get(`${chatPath}/acl`, owner.token),
      get(chatPath, outsider.token),
      get(`/v1/orgs/${orgId}/chats/not-a-uuid`, owner.token),
      get(`/v1/orgs/${orgId}/chats?limit=0`, owner.token),
      get(`/v1/orgs/no-such-org/chats`, owner.token),
      get(chatPath, `${'D'.repeat(43)}.${owner.id}`),
      get(chatPath, OPERATOR_TOKEN),
      get(`/v1/orgs/${orgId}/audit/acl-events`, owner.token),
      get(`/v1/orgs/${orgId}/audit/access?chatId=${chatId}`, owner.token),
      get(`/v1/orgs/${orgId}/audit/access?chatId=nope`, owner.token),
      get(chatPath, owner.token, { 'x-consistency-token': '7fffffffffffffff-0000000000000000' }),
      get(chatPath, owner.token, { 'x-consistency-token': 'yesterday' }),
      get('/v1/users/me', owner.token),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([
      200, 200, 200, 404, 400, 400, 404, 401, 404, 200, 200, 400, 503, 400, 200,
    ]);
    expect(await poolSettled(pool)).toEqual({ checkedOut: 0 });
    // And the pool still serves.
    expect((await get(chatPath, owner.token)).status).toBe(200);
  });

  it('does not let requests waiting for their consistency token stall the others: they hold no connection', async () => {
    const pool = app.database.appPool;
    const size = (pool.options as { max: number }).max;
    const waiting = Array.from({ length: size + 2 }, () =>
      app.request('GET', chatPath, {
        token: owner.token,
        consistent: false,
        headers: { 'x-consistency-token': '7fffffffffffffff-0000000000000000' },
      }),
    );
    await sleep(100);
    const started = Date.now();
    const answer = await app.request('GET', chatPath, { token: owner.token, consistent: false });
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(500);
    for (const late of await Promise.all(waiting)) expect(late.status).toBe(503);
  });

  it('sets no caller, hence no tenant, for a token the projection does not accept', async () => {
    const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    const open = (hash: string, claimed: string, pool = app.database.appPool) =>
      ReadTransaction.begin(pool, {}, (client) =>
        Promise.all([
          authenticateCaller(client, hash, claimed),
          enterOrg(client, orgId),
          getCallerChatAccess(client, chatId),
          client.query<{ n: string }>('SELECT count(*) AS n FROM read_model.chats'),
        ]),
      );

    const accepted = await open(sha256(owner.token), owner.id);
    await accepted.transaction.end();
    const [lookup, membership, access, chats] = accepted.first;
    expect(lookup).toMatchObject({ userId: owner.id, revoked: false, userStatus: 'active' });
    expect(membership).toMatchObject({ orgId, role: 'owner' });
    expect(access?.permissions).toContain('read');
    expect(Number(chats.rows[0]!.n)).toBeGreaterThan(0);

    /** A scope opened for a token that does not get in sees no membership, no access and no chat. */
    const expectNothingSeen = async (refused: Awaited<ReturnType<typeof open>>) => {
      await refused.transaction.end();
      const [, noMembership, noAccess, noChats] = refused.first;
      expect({ noMembership, noAccess, chats: Number(noChats.rows[0]!.n) }).toEqual({
        noMembership: null,
        noAccess: null,
        chats: 0,
      });
    };

    // The owner's real token, claimed for someone else; an unknown token; a non-member's token.
    for (const [hash, claimed] of [
      [sha256(owner.token), outsider.id],
      [sha256('nobody'), owner.id],
      [sha256(outsider.token), outsider.id],
    ] as const) {
      await expectNothingSeen(await open(hash, claimed));
    }

    // Not even on a connection whose session holds the org as its tenant and the owner as its
    // caller (which nothing of ours sets): the scope is set anew in every read transaction.
    const poisoned = new pg.Pool({ ...app.database.appPool.options, max: 1 });
    try {
      await poisoned.query(
        `SELECT set_config('tenantry.org_id', $1, false), set_config('tenantry.user_id', $2, false)`,
        [orgId, owner.id],
      );
      const held = await poisoned.query<{ n: string }>('SELECT count(*) AS n FROM read_model.chats');
      expect(Number(held.rows[0]!.n)).toBeGreaterThan(0); // the session does hold them
      await expectNothingSeen(await open(sha256(outsider.token), outsider.id, poisoned));
    } finally {
      await poisoned.end();
    }
  });

  it('answers a suspended user 401 at once when the request carries the suspension’s position', async () => {
    const sam = await app.registerUser('sam');
    expect((await app.request('GET', '/v1/users/me', { token: sam.token })).status).toBe(200);
    const suspended = await app.request('POST', `/v1/users/${sam.id}/suspend`, { token: OPERATOR_TOKEN });
    expect(suspended.status).toBe(200);
    expectProblem(
      await app.request('GET', '/v1/orgs', {
        token: sam.token,
        consistent: false,
        headers: { 'x-consistency-token': suspended.headers.get('x-consistency-token')! },
      }),
      401,
    );
    // Reactivated: the log says active again, so the token works at once, before the projection knows.
    const reactivated = await app.request('POST', `/v1/users/${sam.id}/reactivate`, {
      token: OPERATOR_TOKEN,
    });
    expect(reactivated.status).toBe(200);
    expect((await app.request('GET', '/v1/orgs', { token: sam.token, consistent: false })).status).toBe(200);
  });
});
