/**
 * Issue 12.5: does Fastify raise the HTTP ceiling? The service as `npm start`
 * starts it (configuration, embedded Postgres under TENANTRY_DATA_DIR, the
 * projector, request logs on stdout), with the API built twice from the same
 * code: Express on PORT and Fastify on PORT + 1. Each route is loaded with
 * autocannon (64 connections, in a child process of its own) on one adapter
 * then the other, the order alternating by route and round, so the two share
 * the process, the pools, the data and the machine's mood of the moment.
 * The figures go to stderr and, as JSON, to AB_OUT when set.
 *
 *   npm run build && npx swc bench -d dist -q && \
 *     TENANTRY_DATA_DIR=$(mktemp -d) PORT=3100 node dist/bench/http-adapters.js [rounds] [seconds] [routes] > service.log
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { type AddressInfo } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { createApp } from '../apps/api/create-app.js';
import { type HttpAdapterName, resolveOperatorToken } from '../libs/config/index.js';
import { readCheckpoints } from '../libs/projection-runtime/checkpoint.js';
import {
  installProjections,
  runService,
  type Runtime,
  startProjector,
  startRuntime,
} from '../libs/runtime/index.js';
import { PROJECTIONS } from '../projections/index.js';
import { runLoadChild } from './support/load-child.js';

const ADAPTERS: readonly HttpAdapterName[] = ['express', 'fastify'];
const CONNECTIONS = 64;
const WARM_UP_SECONDS = 2;
const CHATS = 60;

const rounds = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 10);
/** Only the routes whose names contain one of these words (comma-separated), e.g. `chat`. */
const only = process.argv[4]?.split(',');

interface Route {
  readonly name: string;
  readonly path: string;
  readonly authenticated: boolean;
  readonly post?: string;
}

interface LoadResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Row extends LoadResult {
  readonly round: number;
  readonly adapter: HttpAdapterName;
  readonly route: string;
}

await runService({
  name: 'tenantry-http-adapters',
  async start({ config, logger, shutdown }) {
    const operatorToken = (await resolveOperatorToken(config)).token;
    const runtime = await startRuntime(config, logger);
    shutdown.add('postgres and event store', () => runtime.close());
    await installProjections(runtime.database.ownerPool, logger);
    const projector = startProjector(runtime, logger);
    shutdown.add('projector', () => projector.stop());
    const urls = new Map<HttpAdapterName, string>();
    for (const [i, httpAdapter] of ADAPTERS.entries()) {
      const app: INestApplication = await createApp({ ...runtime, logger, operatorToken, httpAdapter });
      shutdown.add(`http (${httpAdapter})`, () => app.close());
      await app.listen(config.port === 0 ? 0 : config.port + i, '127.0.0.1');
      urls.set(httpAdapter, `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`);
    }
    const fixture = await createFixture(urls.get('express')!, operatorToken);
    const rows = await compare(runtime, urls, fixture);
    report(rows);
    if (process.env.AB_OUT) await fs.writeFile(process.env.AB_OUT, JSON.stringify(rows, null, 2));
    // Stops once this start has returned (the shutdown waits for it).
    void shutdown.stop(0);
  },
});

/** A user, an org with more chats than one page holds, a message: what the routes read. */
async function createFixture(base: string, operatorToken: string) {
  const call = async (method: string, path: string, token: string, body?: object) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}`);
    return (await response.json()) as { token?: string; chat?: { id: string } };
  };
  const suffix = randomBytes(4).toString('hex');
  const user = await call('POST', '/v1/users', operatorToken, {
    email: `ab-${suffix}@example.com`,
    displayName: 'A/B',
  });
  const token = user.token!;
  const org = `ab-${suffix}`;
  await call('POST', '/v1/orgs', token, { slug: org, name: 'A/B' });
  let chatId = '';
  for (let i = 0; i < CHATS; i++) {
    chatId = (await call('POST', `/v1/orgs/${org}/chats`, token, { title: `chat ${i}` })).chat!.id;
  }
  await call('POST', `/v1/orgs/${org}/chats/${chatId}/messages`, token, { body: 'hello' });
  for (;;) {
    const page = await fetch(`${base}/v1/orgs/${org}/chats`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (page.status === 200 && ((await page.json()) as { items: unknown[] }).items.length === 50) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { token, org, chatId };
}

async function compare(
  runtime: Runtime,
  urls: ReadonlyMap<HttpAdapterName, string>,
  fixture: Awaited<ReturnType<typeof createFixture>>,
): Promise<Row[]> {
  const { org, chatId } = fixture;
  const routes: Route[] = [
    { name: 'GET /health', path: '/health', authenticated: false },
    { name: 'GET /v1/users/me', path: '/v1/users/me', authenticated: true },
    { name: 'GET chat', path: `/v1/orgs/${org}/chats/${chatId}`, authenticated: true },
    { name: 'GET chats, first page', path: `/v1/orgs/${org}/chats`, authenticated: true },
    {
      name: 'POST message',
      path: `/v1/orgs/${org}/chats/${chatId}/messages`,
      authenticated: true,
      post: '{"body":"load"}',
    },
  ];
  const chosen = only ? routes.filter((r) => only.some((word) => r.name.includes(word))) : routes;
  const load = (adapter: HttpAdapterName, route: Route, duration: number) =>
    runLoadChild<LoadResult>({
      kind: 'autocannon',
      url: `${urls.get(adapter)}${route.path}`,
      headers: {
        ...(route.authenticated ? { authorization: `Bearer ${fixture.token}` } : {}),
        ...(route.post ? { 'content-type': 'application/json' } : {}),
      },
      connections: CONNECTIONS,
      seconds: duration,
      ...(route.post ? { method: 'POST', body: route.post } : {}),
    });
  for (const route of chosen.filter((r) => !r.post)) {
    for (const adapter of ADAPTERS) await load(adapter, route, WARM_UP_SECONDS);
  }
  const rows: Row[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const [i, route] of chosen.entries()) {
      const order = (round + i) % 2 === 0 ? ADAPTERS : [...ADAPTERS].reverse();
      for (const adapter of order) {
        // A command run leaves the projector work: it is done before the next run starts.
        await waitForProjections(runtime);
        const row = { round, adapter, route: route.name, ...(await load(adapter, route, seconds)) };
        process.stderr.write(`${JSON.stringify(row)}\n`);
        rows.push(row);
      }
    }
  }
  return rows;
}

async function waitForProjections(runtime: Runtime): Promise<void> {
  const head = await runtime.eventStore.headPosition();
  const names = PROJECTIONS.map((p) => p.name);
  for (;;) {
    const checkpoints = await readCheckpoints(runtime.database.ownerPool, names);
    if (names.every((n) => (checkpoints.get(n)?.position ?? '') >= head)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Per route and adapter: the median of the rounds' requests/s, the worst p99, all errors; the ratio to /health. */
function report(rows: readonly Row[]): void {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const lines = [
    '| route | adapter | req/s (median) | req/s per round | p99 ms (worst) | errors |',
    '|---|---|---|---|---|---|',
  ];
  for (const route of [...new Set(rows.map((r) => r.route))]) {
    for (const adapter of ADAPTERS) {
      const runs = rows.filter((r) => r.route === route && r.adapter === adapter);
      lines.push(
        `| ${route} | ${adapter} | ${Math.round(median(runs.map((r) => r.requestsPerSecond)))} | ` +
          `${runs.map((r) => Math.round(r.requestsPerSecond)).join(', ')} | ` +
          `${Math.max(...runs.map((r) => r.p99Ms))} | ${runs.reduce((sum, r) => sum + r.errors, 0)} |`,
      );
    }
  }
  process.stderr.write(`\n${lines.join('\n')}\n`);
}
