import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { OPERATOR_TOKEN, startE2eApp, type E2eApp } from './support/e2e-app.js';

/**
 * Issue 15, "a fuzz test in CI": every operation of the app's own
 * /openapi.json, driven with generated hostile bodies, path and query
 * parameters and headers. Whatever comes in, the answer is never a 5xx, every
 * 4xx is problem+json, and no refused (4xx) request changes the event log.
 *
 * Values are mostly hostile (NUL, unpaired surrogates, prototype keys, deep
 * nesting, wrong types, unknown fields, other media types, malformed
 * tokens) but often valid, ids of a real world included, so that requests
 * get past validation and reach the handlers and the log.
 */
const RUNS = 1_500;

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  readonly body: Schema | null;
}

interface Schema {
  readonly type?: string;
  readonly properties?: Record<string, Schema & { enum?: string[]; format?: string }>;
  readonly additionalProperties?: Schema;
  readonly $ref?: string;
}

interface FuzzCase {
  readonly operation: Operation;
  readonly params: Record<string, string>;
  readonly query: Array<[string, string]>;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

describe('fuzzing every route of /openapi.json', () => {
  let app: E2eApp;
  let operations: Operation[];
  let world: {
    alice: { id: string; token: string };
    bob: { id: string; token: string };
    carol: { id: string; token: string };
    orgId: string;
    orgSlug: string;
    wsId: string;
    groupId: string;
    chatIds: string[];
    tokenId: string;
    position: string;
  };

  beforeAll(async () => {
    app = await startE2eApp({
      // Thousands of deliberately failed authentications come from this one address.
      authFailureLimits: { attempts: 1_000_000, windowSeconds: 60 },
      consistencyWaitMs: 1_000,
    });
    const alice = await app.registerUser('alice');
    const bob = await app.registerUser('bob');
    const carol = await app.registerUser('carol');
    const orgSlug = `fuzz-${Date.now()}`;
    const org = await app.request('POST', '/v1/orgs', {
      token: alice.token,
      body: { slug: orgSlug, name: 'F' },
    });
    const orgPath = `/v1/orgs/${org.body.org.id}`;
    await app.request('PUT', `${orgPath}/members/${bob.id}`, {
      token: alice.token,
      body: { role: 'member' },
    });
    const ws = await app.request('POST', `${orgPath}/workspaces`, {
      token: alice.token,
      body: { slug: 'fuzz-ws', name: 'W' },
    });
    const group = await app.request('POST', `${orgPath}/groups`, { token: alice.token, body: { name: 'G' } });
    const chatIds: string[] = [];
    for (const title of ['one', 'two', 'three']) {
      const chat = await app.request('POST', `${orgPath}/chats`, { token: alice.token, body: { title } });
      chatIds.push(chat.body.chat.id);
    }
    const spare = await app.request('POST', '/v1/users/me/tokens', {
      token: carol.token,
      body: { name: 's' },
    });
    expect([org, ws, group, spare].map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    world = {
      alice,
      bob,
      carol,
      orgId: org.body.org.id,
      orgSlug,
      wsId: ws.body.workspace.id,
      groupId: group.body.group.id,
      chatIds,
      tokenId: spare.body.id,
      position: spare.body.position,
    };
    await app.catchUp();
    operations = operationsOf((await app.request('GET', '/openapi.json')).body);
  }, 60_000);

  afterAll(() => app?.close());

  const eventCount = async () =>
    Number(
      (await app.database.ownerPool.query<{ n: string }>('SELECT count(*) AS n FROM eventstore.events'))
        .rows[0]!.n,
    );

  it(`answers ${RUNS} hostile requests with no 5xx, and appends nothing for any 4xx`, async () => {
    expect(operations.length).toBeGreaterThanOrEqual(39);
    const seen = new Map<string, number>();
    const statuses = new Map<number, number>();
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(
        fuzzCase(operations, () => world),
        async (fuzz) => {
          const before = await eventCount();
          const url = `${app.url}${urlOf(fuzz)}`;
          const response = await fetch(url, {
            method: fuzz.operation.method,
            headers: fuzz.headers,
            body: fuzz.body,
          });
          const text = await response.text();
          const after = await eventCount();
          const where = `${fuzz.operation.method} ${url.slice(0, 300)} ${JSON.stringify(fuzz.headers)} ${JSON.stringify(fuzz.body)?.slice(0, 300)} → ${response.status} ${text.slice(0, 300)}`;
          if (response.status >= 500) throw new Error(`5xx: ${where}`);
          if (response.status >= 400) {
            if (after !== before)
              throw new Error(`a refused request appended ${after - before} events: ${where}`);
            if (!response.headers.get('content-type')?.includes('application/problem+json')) {
              throw new Error(`a 4xx that is not problem+json: ${where}`);
            }
          }
          const key = `${fuzz.operation.method} ${fuzz.operation.path}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );

    // Every operation was driven, and the cases reached past validation as well as being refused.
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(RUNS);
    expect(operations.filter((op) => !seen.has(`${op.method} ${op.path}`))).toEqual([]);
    const count = (test: (status: number) => boolean) =>
      [...statuses].filter(([status]) => test(status)).reduce((sum, [, n]) => sum + n, 0);
    expect(count((status) => status < 300)).toBeGreaterThan(RUNS / 20);
    expect(count((status) => status >= 400)).toBeGreaterThan(RUNS / 2);
    process.stdout.write(
      `fuzz: ${RUNS} cases over ${operations.length} operations in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
  }, 120_000);
});

/** Every operation of the document, with its parameters and its body's schema resolved. */
function operationsOf(document: {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, Schema> };
}): Operation[] {
  const resolve = (schema: Schema | undefined): Schema | null =>
    schema?.$ref ? document.components.schemas[schema.$ref.split('/').at(-1)!]! : (schema ?? null);
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const parameters: Array<{ in: string; name: string }> = operation.parameters ?? [];
      return {
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        body: resolve(operation.requestBody?.content?.['application/json']?.schema),
      };
    }),
  );
}

/** A path segment, percent-encoded; an unpaired surrogate goes as the (invalid) UTF-8 of one. */
function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value].map((c) => (/[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('');
  }
}

function urlOf(fuzz: FuzzCase): string {
  const path = fuzz.operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeSegment(fuzz.params[name] ?? ''),
  );
  const query = fuzz.query.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&');
  return query ? `${path}?${query}` : path;
}

const HOSTILE_TEXT = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\udbff\udfff',
  '😀',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '3f0c0d1e-8a57-4a8e-9a55-2b6f0e5d9c11',
  '00000000-0000-0000-0000-000000000000',
  '../../etc/passwd',
  '%00',
  "'; DROP TABLE eventstore.events; --",
  '\u202eevil',
  'null',
  'true',
  '-1',
  '1e309',
  'x'.repeat(300),
];

/** Text with NUL or an unpaired surrogate somewhere: what the event log's jsonb cannot hold. */
const unstorableString = fc
  .tuple(
    fc.string({ maxLength: 5 }),
    fc.constantFrom('\u0000', '\ud800', '\udc00', '\udbff'),
    fc.string({ maxLength: 5 }),
  )
  .map(([before, bad, after]) => `${before}${bad}${after}`);

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 3, arbitrary: unstorableString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

/** Bodies may be long (64 KiB); a URL that long is refused by Node before the app (431). */
const hostileBodyString = fc.oneof(hostileString, fc.constant('y'.repeat(20_000)));

/** Any JSON value, hostile keys and strings included; nested a few levels at most (deep nesting comes raw). */
const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileBodyString,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(
      fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'users')),
      tie('value'),
      {
        maxKeys: 3,
      },
    ),
  ),
})).value;

/** Header values fetch can send: visible ASCII and Latin-1, no CR, LF or NUL. */
const headerText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }))
    .map((code) => String.fromCharCode(code)),
  maxLength: 60,
});

/** Raw bodies that are not one JSON value, or nest far too deep. */
const rawBodies = fc.constantFrom(
  `{"title":${'['.repeat(1_300)}${']'.repeat(1_300)}}`,
  `${'{"a":'.repeat(600)}1${'}'.repeat(600)}`,
  '{"name":"g","__proto__":{"x":1}}',
  '{"users":{"constructor":"editor"}}',
  '{"title":"a\\u0000b"}',
  '{"title":"a\\ud800b","body":"\\udc00"}',
  '{"title":',
  'title=x&body=y',
  '',
  '[]',
  'null',
  '"just a string"',
);

function fuzzCase(operations: Operation[], worldOf: () => any): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...operations).chain((operation) => {
    const w = worldOf();
    const ids: Record<string, string[]> = {
      org: [w.orgId, w.orgSlug, w.orgId.toUpperCase()],
      ws: [w.wsId, 'fuzz-ws'],
      chatId: w.chatIds,
      groupId: [w.groupId],
      userId: [w.bob.id, w.alice.id, w.carol.id],
      id: [w.carol.id, w.bob.id],
      tokenId: [w.tokenId],
    };
    const param = (name: string) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...(ids[name] ?? [randomUUID()])) },
        { weight: 1, arbitrary: fc.constant(randomUUID()) },
        { weight: 2, arbitrary: hostileString },
      );
    const params = fc.record(Object.fromEntries(operation.pathParams.map((name) => [name, param(name)])));
    const queryValue = fc.oneof(
      fc.constantFrom('true', 'false', '1', '50', '0', '201', w.wsId, w.chatIds[0], 'not-a-cursor'),
      hostileString,
    );
    const query = fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...operation.queryParams, 'limit', 'cursor', 'asOf'), hostileString),
        queryValue,
      ),
      { maxLength: 3 },
    );
    const headers = fc
      .record(
        {
          authorization: fc.oneof(
            { weight: 8, arbitrary: fc.constant(`Bearer ${w.alice.token}`) },
            { weight: 2, arbitrary: fc.constant(`Bearer ${w.bob.token}`) },
            { weight: 3, arbitrary: fc.constant(`Bearer ${OPERATOR_TOKEN}`) },
            {
              weight: 2,
              arbitrary: fc.constantFrom(
                `bearer ${w.alice.token}`,
                `Bearer ${w.alice.token.slice(0, -1)}`,
                `Bearer ${'A'.repeat(43)}.${w.alice.id}`,
                `Basic ${w.alice.token}`,
                'Bearer',
                'Bearer a=b',
              ),
            },
            { weight: 1, arbitrary: headerText.map((text) => `Bearer ${text}`) },
          ),
          'content-type': fc.oneof(
            { weight: 8, arbitrary: fc.constant('application/json') },
            {
              weight: 3,
              arbitrary: fc.constantFrom(
                'text/plain',
                'application/x-www-form-urlencoded',
                'application/json; charset=utf-16',
                'application/json; charset=latin1',
                'application/merge-patch+json',
                'multipart/form-data; boundary=x',
              ),
            },
            { weight: 1, arbitrary: headerText },
          ),
          'x-consistency-token': fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(w.position, '0000000000000000-0000000000000000') },
            { weight: 1, arbitrary: headerText },
          ),
          'idempotency-key': fc.oneof(
            { weight: 3, arbitrary: fc.uuid() },
            { weight: 1, arbitrary: headerText },
          ),
        },
        { requiredKeys: [] },
      )
      .map((headers) =>
        Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)),
      );
    // fetch cannot send a body with GET; every other method may carry one, route or not.
    const body = operation.method === 'GET' ? fc.constant(undefined) : bodyFor(operation, w);
    return fc.record({ operation: fc.constant(operation), params, query, headers, body });
  });
}

/** Mostly the operation's own fields, each valid or hostile, sometimes extra fields, raw text or nothing. */
function bodyFor(operation: Operation, w: any): fc.Arbitrary<string | undefined> {
  const properties = operation.body?.properties ?? {};
  const validFor = (
    name: string,
    schema: Schema & { enum?: string[]; format?: string },
  ): fc.Arbitrary<unknown> => {
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.type === 'boolean') return fc.boolean();
    if (schema.format === 'uuid') return fc.constantFrom(w.wsId, ...w.chatIds, randomUUID());
    if (schema.type === 'object') {
      return fc.dictionary(
        fc.oneof(fc.constantFrom(w.bob.id, w.alice.id, w.carol.id, w.groupId, randomUUID()), hostileString),
        fc.oneof(fc.constantFrom('viewer', 'editor', ''), hostileJson),
        { maxKeys: 3 },
      );
    }
    if (name === 'slug') return fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,12}[a-z0-9]$/);
    if (name === 'email') return fc.stringMatching(/^[a-z]{1,8}$/).map((local) => `${local}@example.com`);
    if (name === 'role') return fc.constantFrom('owner', 'admin', 'member', 'viewer', 'auditor', 'editor');
    return fc.string({ minLength: 1, maxLength: 20 });
  };
  const fields = fc.record(
    Object.fromEntries(
      Object.entries(properties).map(([name, schema]) => [
        name,
        fc.oneof(
          { weight: 2, arbitrary: validFor(name, schema) },
          { weight: 2, arbitrary: hostileString },
          { weight: 1, arbitrary: hostileJson },
        ),
      ]),
    ),
    { requiredKeys: [] },
  );
  const withExtras = fc
    .tuple(fields, fc.dictionary(hostileString, hostileJson, { maxKeys: 2 }))
    .map(([own, extra]) => ({ ...extra, ...own }));
  return fc.oneof(
    { weight: 6, arbitrary: fields.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: withExtras.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: hostileJson.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: rawBodies },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}
