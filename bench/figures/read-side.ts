import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { hashToken } from '../../libs/application/index.js';
import { type ReadSide } from '../../apps/api/read-side/read-side.js';
import { visibleChatsPage } from '../../apps/api/chats/chats.queries.controller.js';
import {
  firstReadFor,
  ReadScopes,
  type RequestReadScope,
  type ScopeTarget,
} from '../../apps/api/read-side/request-read-scope.js';
import { accessAt, atPosition, StreamSnapshots } from '../../libs/audit/index.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore, type Position } from '../../libs/event-store/index.js';
import { READ_MODEL_SCHEMA } from '../../libs/persistence/tenancy.js';
import { type HistoryManifest } from '../generate/history.js';
import { type BenchEnvironment } from '../support/environment.js';
import { interleavedLatencies, percentile, sequentialLatencies } from '../support/measure.js';
import { figure, type Figure } from './figure.js';

export interface ReadSideBench {
  readonly env: BenchEnvironment;
  readonly manifest: HistoryManifest;
  readonly samples: number;
}

function readScopesOf(env: BenchEnvironment): ReadScopes {
  const readSide: ReadSide = {
    appPool: env.runtime.database.appPool,
    projectionNames: [],
    auditOnlyProjectionNames: [],
    consistencyWaitMs: 5_000,
    maxWaiting: 256,
  };
  return new ReadScopes(readSide);
}

/**
 * Opens the read scope of a request by `userId` with their token, as
 * BearerAuthGuard does: in one round trip, the token's lookup, the org
 * and (given a chat) the caller's access to it. Like the API, the caller
 * does not wait for the scope's COMMIT ({@link endLater}).
 */
async function openScope(
  scopes: ReadScopes,
  manifest: HistoryManifest,
  userId: string,
  target: ScopeTarget,
): Promise<RequestReadScope> {
  const token = manifest.tokens.get(userId);
  if (!token) throw new Error(`no token for user ${userId}`);
  const { scope } = await scopes.open(
    { kind: 'token', hash: hashToken(token), claimedUserId: userId },
    target,
  );
  if (!scope) throw new Error(`the users projection refused the token of ${userId}`);
  return scope;
}

/** Scope ends not awaited by the samples; awaited once a figure is measured, so a failed COMMIT still fails it. */
const ending: Array<Promise<void>> = [];

function endLater(scope: RequestReadScope): void {
  const end = scope.end();
  end.catch(() => undefined);
  ending.push(end);
}

async function ended(): Promise<void> {
  await Promise.all(ending.splice(0));
}

/** (user, chat) pairs of the largest org that the read model grants, for checks that succeed. */
async function grantedPairs(superuser: pg.Pool, orgId: string, count: number) {
  const { rows } = await superuser.query<{ user_id: string; chat_id: string }>(
    `SELECT user_id, chat_id FROM ${READ_MODEL_SCHEMA}.chat_access WHERE org_id = $1
     ORDER BY md5(user_id::text || chat_id::text) LIMIT $2`,
    [orgId, count],
  );
  return rows;
}

/** B4: "may U read chat C" as the query side does it, beside a primary-key select of the chat row. */
export async function authorizationCheck(bench: ReadSideBench): Promise<Figure> {
  const superuser = new pg.Pool({ connectionString: bench.env.urlOf('tenantry'), max: 2 });
  try {
    const org = bench.manifest.largest;
    const pairs = await grantedPairs(superuser, org.orgId, 500);
    if (pairs.length === 0) throw new Error('the read model grants nothing in the largest org');
    const scopes = readScopesOf(bench.env);
    let denied = 0;
    const timed = await interleavedLatencies(
      bench.samples,
      async (i) => {
        const { user_id: userId, chat_id: chatId } = pairs[i % pairs.length]!;
        const scope = await openScope(scopes, bench.manifest, userId, { org: org.orgId, chatId });
        try {
          scope.readableChat();
        } catch {
          denied++;
        }
        endLater(scope);
      },
      (i) =>
        superuser.query(`SELECT * FROM ${READ_MODEL_SCHEMA}.chats WHERE chat_id = $1`, [
          pairs[i % pairs.length]!.chat_id,
        ]),
    );
    await ended();
    const { subject: check, baseline: primaryKey } = timed;
    return figure({
      id: 'B4',
      name: 'authorization check "may U read chat C" as the query side does it: token, org and access in one round trip (p99)',
      value: percentile(check, 99),
      unit: 'ms',
      baselineName: 'primary-key SELECT of the chat row (p99)',
      baseline: percentile(primaryKey, 99),
      target: { kind: 'ratioAtMost', ratio: 1.5 },
      alsoMet: denied === 0,
      details: {
        p50: percentile(check, 50),
        p95: percentile(check, 95),
        baselineP50: percentile(primaryKey, 50),
        baselineP95: percentile(primaryKey, 95),
        samples: check.length,
        wronglyDenied: denied,
      },
    });
  } finally {
    await superuser.end();
  }
}

/** B5: the first page of chats visible to a user in 50 groups of the largest org. */
export async function firstPageOfChats(bench: ReadSideBench): Promise<Figure> {
  const superuser = new pg.Pool({ connectionString: bench.env.urlOf('tenantry'), max: 2 });
  try {
    const org = bench.manifest.largest;
    const userId = bench.manifest.probeUserId;
    const { rows } = await superuser.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${READ_MODEL_SCHEMA}.chat_access a
       JOIN ${READ_MODEL_SCHEMA}.chats c ON c.chat_id = a.chat_id
       WHERE a.org_id = $1 AND a.user_id = $2 AND c.deleted_at IS NULL`,
      [org.orgId, userId],
    );
    const visible = Number(rows[0]!.n);
    const scopes = readScopesOf(bench.env);
    let truncated = 0;
    const timed = await interleavedLatencies(
      bench.samples,
      async () => {
        // As GET …/chats answers its first page: the page read in the scope's opening round trip.
        const scope = await openScope(scopes, bench.manifest, userId, {
          org: org.orgId,
          firstRead: firstReadFor(visibleChatsPage, {}),
        });
        const result = scope.answer(visibleChatsPage);
        endLater(scope);
        if (result.items.length !== Math.min(50, visible) || visible > 50 !== (result.next !== null)) {
          truncated++;
        }
      },
      () =>
        superuser.query(
          `SELECT chat_id, title, root_chat_id, parent_chat_id, workspace_id, created_at FROM ${READ_MODEL_SCHEMA}.chats
           WHERE org_id = $1 ORDER BY created_position LIMIT 50`,
          [org.orgId],
        ),
    );
    await ended();
    const { subject: page, baseline: unauthorized } = timed;
    return figure({
      id: 'B5',
      name: `first page (50) of chats visible to a user in 50 groups of the largest org (p95; ${visible} visible)`,
      value: percentile(page, 95),
      unit: 'ms',
      baselineName: 'SELECT … WHERE org_id ORDER BY … LIMIT 50, no authorization (p95)',
      baseline: percentile(unauthorized, 95),
      target: { kind: 'ratioAtMost', ratio: 3 },
      alsoMet: truncated === 0,
      details: {
        visibleChats: visible,
        truncatedPages: truncated,
        p50: percentile(page, 50),
        baselineP50: percentile(unauthorized, 50),
      },
    });
  } finally {
    await superuser.end();
  }
}

/**
 * B7: "who could read chat C at time T, and why", for a chat of the largest
 * org, as GET …/audit/access answers it: libs/audit `accessAt`, which folds
 * only the streams bearing on the chat (its tree, the org, its workspace,
 * the groups on its ACL) up to T and asks libs/authz about every candidate.
 * The API keeps snapshots of folded streams between questions; so does this
 * figure: the first (cold) question builds them and is reported apart, the
 * measured ones start from the newest snapshot at or before T. A second
 * series asks about an instant 1,000 org events in the past, which must
 * replay from a snapshot before it. The baseline is the same answer for now
 * from the read model.
 */
export async function accessAtInstant(bench: ReadSideBench, asOf: Position, runs: number): Promise<Figure> {
  const superuser = new pg.Pool({ connectionString: bench.env.urlOf('tenantry'), max: 2 });
  try {
    const org = bench.manifest.largest;
    const chatId = org.writableChatIds[0]!;
    const { eventStore } = bench.env.runtime;
    const snapshots = new StreamSnapshots();
    const ask = async (instant: Position, stats = { eventsRead: 0 }) => {
      const answer = await accessAt(
        eventStore,
        upcasters,
        { orgId: org.orgId, chatId, asOf: atPosition(instant) },
        { snapshots, stats },
      );
      if (answer === null) throw new Error(`B7: chat ${chatId} is missing at ${instant}`);
      return { answer, stats };
    };
    const coldStart = performance.now();
    const cold = await ask(asOf);
    const coldMs = performance.now() - coldStart;
    const usersWithAccess = cold.answer.users.length;
    let warmEventsRead = 0;
    const replay = await sequentialLatencies(Math.max(runs, bench.samples), async () => {
      warmEventsRead = (await ask(asOf)).stats.eventsRead;
    });
    // 1,000 org events back, but never before the chat existed (the answer would be a 404).
    const orgPast = await pastOrgPosition(eventStore, org.orgId, 1_000);
    const created = await firstPosition(eventStore, streams.chat(org.orgId, chatId));
    const past = orgPast === null || created === null ? null : orgPast > created ? orgPast : created;
    let pastEventsRead = 0;
    const pastReplay = past
      ? await sequentialLatencies(Math.max(runs, bench.samples), async () => {
          pastEventsRead = (await ask(past)).stats.eventsRead;
        })
      : [];
    const now = await sequentialLatencies(bench.samples, () =>
      superuser.query(
        `SELECT user_id, permissions FROM ${READ_MODEL_SCHEMA}.chat_access WHERE org_id = $1 AND chat_id = $2`,
        [org.orgId, chatId],
      ),
    );
    return figure({
      id: 'B7',
      name: 'who could read chat C at T, and why: libs/audit accessAt, T 1,000 org events back (p95)',
      // The past instant is the figure; the head (the snapshots' best case) is a detail.
      value: percentile(pastReplay.length > 0 ? pastReplay : replay, 95),
      unit: 'ms',
      baselineName: 'the same answer for now from the read model (p95)',
      baseline: percentile(now, 95),
      target: { kind: 'ratioAtMost', ratio: 10 },
      details: {
        usersWithAccess,
        coldMs,
        coldEventsRead: cold.stats.eventsRead,
        warmEventsRead,
        headP95: percentile(replay, 95),
        pastEventsRead,
        pastPosition: past,
      },
    });
  } finally {
    await superuser.end();
  }
}

/** The position of a stream's first event; null for a missing stream. */
async function firstPosition(eventStore: EventStore, streamName: string): Promise<Position | null> {
  for await (const event of eventStore.readStream(streamName, { maxCount: 1 })) return event.position;
  return null;
}

/** The position of the org stream's event `back` events before its last, or null for a shorter stream. */
async function pastOrgPosition(
  eventStore: EventStore,
  orgId: string,
  back: number,
): Promise<Position | null> {
  let position: Position | null = null;
  for await (const event of eventStore.readStream(streams.organization(orgId), {
    direction: 'backwards',
    maxCount: back + 1,
  })) {
    position = event.position;
  }
  return position;
}
