import pg from 'pg';
import { ReadModels } from '../../apps/api/read-side/read-side.js';
import { AggregateStore } from '../../libs/command-runtime/index.js';
import { decideAccess } from '../../libs/domain/chat/chat-access.js';
import { chatDecider } from '../../libs/domain/chat/chat.decider.js';
import { type ChatState, type ExistingChat } from '../../libs/domain/chat/chat.state.js';
import { groupDecider } from '../../libs/domain/group/group.decider.js';
import { type GroupState } from '../../libs/domain/group/group.state.js';
import { type Decider, type DomainEvent } from '../../libs/domain/kernel/index.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import { type OrganizationState } from '../../libs/domain/organization/organization.state.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { workspaceDecider } from '../../libs/domain/workspace/workspace.decider.js';
import { type WorkspaceState } from '../../libs/domain/workspace/workspace.state.js';
import { type Position } from '../../libs/event-store/index.js';
import { READ_MODEL_SCHEMA } from '../../libs/persistence/tenancy.js';
import { getChatAccess, listVisibleChats } from '../../projections/chat-access/index.js';
import { type HistoryManifest } from '../generate/history.js';
import { type BenchEnvironment } from '../support/environment.js';
import { percentile, sequentialLatencies } from '../support/measure.js';
import { figure, type Figure } from './figure.js';

export interface ReadSideBench {
  readonly env: BenchEnvironment;
  readonly manifest: HistoryManifest;
  readonly samples: number;
}

function readModelsOf(env: BenchEnvironment): ReadModels {
  return new ReadModels({
    appPool: env.runtime.database.appPool,
    projectionNames: [],
    consistencyWaitMs: 5_000,
  });
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
    const readModels = readModelsOf(bench.env);
    let denied = 0;
    const check = await sequentialLatencies(bench.samples, async (i) => {
      const { user_id: userId, chat_id: chatId } = pairs[i % pairs.length]!;
      const access = await readModels.inOrg(org.orgId, userId, (client, membership) =>
        getChatAccess(client, membership.orgId, userId, chatId),
      );
      if (access === null) denied++;
    });
    const primaryKey = await sequentialLatencies(bench.samples, (i) =>
      superuser.query(`SELECT * FROM ${READ_MODEL_SCHEMA}.chats WHERE chat_id = $1`, [
        pairs[i % pairs.length]!.chat_id,
      ]),
    );
    return figure({
      id: 'B4',
      name: 'authorization check "may U read chat C" as the query side does it (p99)',
      value: percentile(check, 99),
      unit: 'ms',
      baselineName: 'primary-key SELECT of the chat row (p99)',
      baseline: percentile(primaryKey, 99),
      target: { kind: 'ratioAtMost', ratio: 1.5 },
      alsoMet: denied === 0,
      details: { p50: percentile(check, 50), baselineP50: percentile(primaryKey, 50), wronglyDenied: denied },
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
    const readModels = readModelsOf(bench.env);
    let truncated = 0;
    const page = await sequentialLatencies(bench.samples, async () => {
      const result = await readModels.inOrg(org.orgId, userId, (client, membership) =>
        listVisibleChats(client, {
          orgId: membership.orgId,
          userId,
          workspaceId: null,
          page: { limit: 50, after: null },
        }),
      );
      if (result.items.length !== Math.min(50, visible) || visible > 50 !== (result.next !== null)) {
        truncated++;
      }
    });
    const unauthorized = await sequentialLatencies(bench.samples, () =>
      superuser.query(
        `SELECT chat_id, title, root_chat_id, parent_chat_id, workspace_id, created_at FROM ${READ_MODEL_SCHEMA}.chats
         WHERE org_id = $1 ORDER BY created_position LIMIT 50`,
        [org.orgId],
      ),
    );
    return figure({
      id: 'B5',
      name: `first page (50) of chats visible to a user in 50 groups of the largest org (p95; ${visible} visible)`,
      value: percentile(page, 95),
      unit: 'ms',
      baselineName: 'SELECT … WHERE org_id ORDER BY … LIMIT 50, no authorization (p95)',
      baseline: percentile(unauthorized, 95),
      target: { kind: 'ratioAtMost', ratio: 3 },
      alsoMet: truncated === 0,
      details: { visibleChats: visible, truncatedPages: truncated },
    });
  } finally {
    await superuser.end();
  }
}

/**
 * B7: "who could read chat C at time T, and why", for a chat of the largest
 * org. No audit route exists yet (the audit issue builds it); this measures
 * what DESIGN.md §9 says the answer is: the org's events up to T replayed
 * through the deciders' folds and libs/authz, for every member. The
 * baseline is the same answer for now from the read model.
 */
export async function accessAtInstant(bench: ReadSideBench, asOf: Position, runs: number): Promise<Figure> {
  const superuser = new pg.Pool({ connectionString: bench.env.urlOf('tenantry'), max: 2 });
  try {
    const org = bench.manifest.largest;
    const chatId = org.writableChatIds[0]!;
    const aggregates = new AggregateStore(bench.env.runtime.eventStore, upcasters);
    let usersWithAccess = 0;
    const replay = await sequentialLatencies(
      runs,
      async () => {
        usersWithAccess = await replayAccess(aggregates, org.orgId, chatId, asOf);
      },
      0,
    );
    const now = await sequentialLatencies(bench.samples, () =>
      superuser.query(
        `SELECT user_id, permissions FROM ${READ_MODEL_SCHEMA}.chat_access WHERE org_id = $1 AND chat_id = $2`,
        [org.orgId, chatId],
      ),
    );
    return figure({
      id: 'B7',
      name: 'who could read chat C at T, and why: replay of the largest org to T through libs/authz (p95)',
      value: percentile(replay, 95),
      unit: 'ms',
      baselineName: 'the same answer for now from the read model (p95)',
      baseline: percentile(now, 95),
      target: { kind: 'ratioAtMost', ratio: 10 },
      details: {
        runs,
        usersWithAccess,
        note: 'no audit route yet (audit issue): the replay as DESIGN.md §9 defines it',
      },
    });
  } finally {
    await superuser.end();
  }
}

async function replayAccess(aggregates: AggregateStore, orgId: string, chatId: string, asOf: Position) {
  let org: OrganizationState = organizationDecider.initialState;
  const groups = new Map<string, GroupState>();
  const workspaces = new Map<string, WorkspaceState>();
  const chats = new Map<string, ChatState>();
  const fold = <E extends DomainEvent, S>(
    decider: Pick<Decider<unknown, E, S>, 'initialState' | 'evolve'>,
    map: Map<string, S>,
    key: string,
    event: never,
  ) => map.set(key, decider.evolve(map.get(key) ?? decider.initialState, event));
  const prefix = streams.tenantPrefix(orgId);
  for await (const recorded of aggregates.eventStore.readAll({ streamPrefix: prefix })) {
    if (recorded.position > asOf) break;
    const name = recorded.streamName.slice(prefix.length);
    if (name.endsWith('/messages') || name.startsWith('reservation-')) continue;
    const event = aggregates.toDomainEvent(recorded) as never;
    if (name === 'organization') org = organizationDecider.evolve(org, event);
    else if (name.startsWith('group-')) fold(groupDecider, groups, name, event);
    else if (name.startsWith('workspace-')) fold(workspaceDecider, workspaces, name, event);
    else if (name.startsWith('chat-')) fold(chatDecider, chats, name, event);
  }
  if (org.status !== 'active') return 0;
  const chat = chats.get(`chat-${chatId}`);
  if (!chat || chat.status === 'absent') return 0;
  const existing = chat as ExistingChat;
  const root = existing;
  const workspace =
    root.workspaceId === null ? null : (workspaces.get(`workspace-${root.workspaceId}`) ?? null);
  const aclGroups: Record<string, GroupState> = {};
  for (const [name, state] of groups) aclGroups[name.slice('group-'.length)] = state;
  let granted = 0;
  for (const userId of Object.keys(org.members)) {
    const decision = decideAccess({
      userId,
      org,
      chat: existing,
      root,
      ancestors: [],
      workspace,
      groups: aclGroups,
    });
    if (decision.permissions.length > 0) granted++;
  }
  return granted;
}
