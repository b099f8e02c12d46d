import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type pg from 'pg';
import { type AccessDecision, evaluateChatAccess } from '../../libs/authz/evaluate.js';
import {
  type AccessScope,
  type LoadedChat,
  type LoadedFacts,
  loadAccessFacts,
} from './chat-access.loader.js';
import { CHAT_ACCESS_TABLE } from './chat-access.schema.js';

export type { AccessScope } from './chat-access.loader.js';

/** What one recompute wrote: the write cost of the event behind it. */
export interface RecomputeResult {
  readonly deleted: number;
  /** Rows inserted, or updated to other permissions. */
  readonly inserted: number;
}

/**
 * Pairs evaluated (or roots gathered) between two yields to the event loop:
 * at a few microseconds each, the loop is held about 10 ms at a time.
 */
const EVALUATIONS_PER_YIELD = 2_000;

/** Rows per INSERT: bounds the size of one statement's arrays on an org-wide recompute. */
const INSERT_CHUNK = 10_000;

/**
 * Scopes of at most this many stored rows are diffed in memory and only
 * what changed is written; larger ones (an org-wide recompute of a big org:
 * millions of rows) replace their rows, as reading them all into this
 * process would cost gigabytes (the full benchmark's rebuild peaked at
 * 2.6 GiB RSS before this bound).
 */
const DIFF_AT_MOST = 20_000;

/**
 * Recomputes `chat_access` for the pairs of `scope` in `orgId` (the org the
 * transaction's tenant names): loads the facts in bulk from this projection's
 * fact tables, asks libs/authz's {@link evaluateChatAccess} about every
 * candidate pair, then brings the scope's rows (those of the scope's chats,
 * every chat of the org for `roots: 'all'`, for the scope's users or
 * everyone) to one row per pair granted anything: it reads them first and
 * writes only the rows that differ, since a recompute mostly confirms what
 * is there (a batch's merged recompute, a share with a group of 500 on a
 * tree its members could already read) and writes cost far more than reads.
 *
 * Nothing here knows a rule of DESIGN.md §5: the candidates are a superset of
 * whoever can hold anything (root owner, org owners and admins, ACL users,
 * members of ACL groups, workspace members), and evaluateChatAccess decides.
 */
export async function recomputeAccess(
  client: pg.ClientBase,
  orgId: string,
  scope: AccessScope,
  options: {
    readonly diffAtMost?: number;
    /** Rows gathered before they are written (tests make it small, to cross its boundary). */
    readonly rowsPerWrite?: number;
  } = {},
): Promise<RecomputeResult> {
  const normalized: AccessScope = {
    roots: scope.roots,
    ...(scope.chats ? { chats: lowercase(scope.chats) } : {}),
    ...(scope.users ? { users: lowercase(scope.users) } : {}),
  };
  if (
    (normalized.roots !== 'all' && normalized.roots.length === 0) ||
    normalized.chats?.length === 0 ||
    normalized.users?.length === 0
  ) {
    return { deleted: 0, inserted: 0 };
  }

  const facts = await loadAccessFacts(client, orgId, normalized);
  const onlyChats = normalized.chats ? new Set(normalized.chats) : null;
  const treeChats = [...facts.chats.keys()];
  const stored = await readScope(client, orgId, normalized, treeChats, options.diffAtMost ?? DIFF_AT_MOST);
  // Too many stored rows to compare in memory: the scope's rows are replaced instead.
  const deleted = stored === null ? await deleteScope(client, orgId, normalized, treeChats) : 0;
  // The rows to write leave in chunks as they are found: an org-wide scope of a large org grants
  // millions of pairs, which must not all be held here at once.
  let pending = emptyRows();
  let inserted = 0;
  const flush = async () => {
    inserted += pending.userIds.length;
    await upsertRows(client, orgId, pending);
    pending = emptyRows();
  };
  await forEachGrant(facts, onlyChats, (userId, chat, decision) => {
    if (stored !== null) {
      const key = `${userId}/${chat.id}`;
      const same = stored.get(key) === storedForm(chat, decision);
      stored.delete(key);
      if (same) return;
    }
    pushRow(pending, userId, chat, decision);
    return pending.userIds.length >= (options.rowsPerWrite ?? INSERT_CHUNK) ? flush() : undefined;
  });
  await flush();
  if (stored === null) return { deleted, inserted };
  // What is left was stored and is granted nothing now.
  const gone = [...stored.keys()].map((key) => key.split('/') as [string, string]);
  await deletePairs(client, orgId, gone);
  return { deleted: gone.length, inserted };
}

export interface AccessRows {
  userIds: string[];
  chatIds: string[];
  /** Comma-joined: unnest cannot yield arrays of arrays. */
  permissions: string[];
  writeBlocked: boolean[];
  workspaceIds: Array<string | null>;
  createdPositions: string[];
}

export function emptyRows(): AccessRows {
  return {
    userIds: [],
    chatIds: [],
    permissions: [],
    writeBlocked: [],
    workspaceIds: [],
    createdPositions: [],
  };
}

/**
 * Calls `onGrant` for every candidate pair of the loaded chats (only
 * `onlyChats`, when given) on which libs/authz grants something, and awaits
 * it when it answers a promise. It goes root by root: a root's candidates
 * are gathered when the loop reaches its tree and dropped when it leaves it,
 * so memory holds one root's candidates, not every root's (an org-wide
 * scope of the largest org has tens of thousands of roots, each with up to
 * thousands of candidates). The loop yields to the event loop every
 * {@link EVALUATIONS_PER_YIELD} pairs or roots: the projector shares its
 * process with the API (`npm start`).
 */
export async function forEachGrant(
  facts: LoadedFacts,
  onlyChats: ReadonlySet<string> | null,
  onGrant: (userId: string, chat: LoadedChat, decision: AccessDecision) => void | Promise<void>,
): Promise<void> {
  const treeOf = new Map<string, LoadedChat[]>();
  for (const chat of facts.chats.values()) {
    if (onlyChats && !onlyChats.has(chat.id)) continue;
    const tree = treeOf.get(chat.rootId);
    if (tree) tree.push(chat);
    else treeOf.set(chat.rootId, [chat]);
  }
  let work = 0;
  for (const [rootId, tree] of treeOf) {
    const root = facts.chats.get(rootId);
    if (!root) continue;
    const candidates = [...facts.candidatesOf(root)];
    work++;
    for (const chat of tree) {
      for (const userId of candidates) {
        if (++work >= EVALUATIONS_PER_YIELD) {
          work = 0;
          await yieldToEventLoop();
        }
        const decision = evaluateChatAccess(facts.factsFor(userId, chat));
        if (decision.permissions.length === 0) continue;
        const written = onGrant(userId, chat, decision);
        if (written) await written;
      }
    }
  }
}

/** Appends one granted pair to `rows`. */
export function pushRow(rows: AccessRows, userId: string, chat: LoadedChat, decision: AccessDecision): void {
  rows.userIds.push(userId);
  rows.chatIds.push(chat.id);
  rows.permissions.push(decision.permissions.join(','));
  rows.writeBlocked.push(decision.writeBlocked !== null);
  rows.workspaceIds.push(chat.workspaceId);
  rows.createdPositions.push(chat.createdBy.position);
}

/** A granted pair's row values as {@link readScope} reads them back: to tell a changed row from a confirmed one. */
function storedForm(chat: LoadedChat, decision: AccessDecision): string {
  return `${decision.permissions.join(',')}|${decision.writeBlocked !== null}|${chat.workspaceId ?? ''}|${chat.createdBy.position}`;
}

/**
 * The scope's stored rows, by `user/chat`. For a list of roots, `treeChats`
 * are all the chats of their trees (loaded anyway). For `roots: 'all'` the
 * loader may have loaded fewer roots than the org has, so the scope goes by
 * user alone: a stored row on a chat not loaded is granted nothing now.
 */
async function readScope(
  client: pg.ClientBase,
  orgId: string,
  scope: AccessScope,
  treeChats: string[],
  diffAtMost: number,
): Promise<Map<string, string> | null> {
  const { where, params } = scopeWhere(orgId, scope, treeChats);
  params.push(diffAtMost + 1);
  const { rows } = await client.query<{ key: string; row: string }>(
    `SELECT user_id || '/' || chat_id AS key,
            array_to_string(permissions, ',') || '|' || write_blocked || '|' ||
              coalesce(workspace_id::text, '') || '|' || created_position AS row
     FROM ${CHAT_ACCESS_TABLE} WHERE ${where.join(' AND ')} LIMIT $${params.length}`,
    params,
  );
  if (rows.length > diffAtMost) return null;
  return new Map(rows.map(({ key, row }) => [key, row]));
}

/** Deletes every stored row of the scope (the replacing path, for scopes too large to diff). */
async function deleteScope(
  client: pg.ClientBase,
  orgId: string,
  scope: AccessScope,
  treeChats: string[],
): Promise<number> {
  const { where, params } = scopeWhere(orgId, scope, treeChats);
  const { rowCount } = await client.query(
    `DELETE FROM ${CHAT_ACCESS_TABLE} WHERE ${where.join(' AND ')}`,
    params,
  );
  return rowCount ?? 0;
}

/** The rows of a scope, as a WHERE clause on `chat_access` (see {@link readScope}). */
function scopeWhere(orgId: string, scope: AccessScope, treeChats: string[]) {
  const params: unknown[] = [orgId];
  const where = ['org_id = $1'];
  if (scope.roots !== 'all' || scope.chats) {
    params.push(scope.chats ?? treeChats);
    where.push(`chat_id = ANY($${params.length}::uuid[])`);
  }
  if (scope.users) {
    params.push(scope.users);
    where.push(`user_id = ANY($${params.length}::uuid[])`);
  }
  return { where, params };
}

async function deletePairs(
  client: pg.ClientBase,
  orgId: string,
  pairs: ReadonlyArray<readonly [userId: string, chatId: string]>,
): Promise<void> {
  for (let start = 0; start < pairs.length; start += INSERT_CHUNK) {
    const chunk = pairs.slice(start, start + INSERT_CHUNK);
    await client.query(
      `DELETE FROM ${CHAT_ACCESS_TABLE} a USING unnest($2::uuid[], $3::uuid[]) AS gone(user_id, chat_id)
       WHERE a.org_id = $1 AND a.user_id = gone.user_id AND a.chat_id = gone.chat_id`,
      [orgId, chunk.map(([userId]) => userId), chunk.map(([, chatId]) => chatId)],
    );
  }
}

export async function upsertRows(client: pg.ClientBase, orgId: string, rows: AccessRows): Promise<void> {
  for (let start = 0; start < rows.userIds.length; start += INSERT_CHUNK) {
    const slice = <T>(values: T[]) => values.slice(start, start + INSERT_CHUNK);
    await client.query(
      `INSERT INTO ${CHAT_ACCESS_TABLE}
         (org_id, user_id, chat_id, permissions, write_blocked, workspace_id, created_position)
       SELECT $1, user_id, chat_id, string_to_array(permissions, ','), write_blocked, workspace_id,
              created_position
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::boolean[], $6::uuid[], $7::text[])
         AS t(user_id, chat_id, permissions, write_blocked, workspace_id, created_position)
       ON CONFLICT (org_id, user_id, chat_id) DO UPDATE SET permissions = excluded.permissions,
         write_blocked = excluded.write_blocked, workspace_id = excluded.workspace_id,
         created_position = excluded.created_position`,
      [
        orgId,
        slice(rows.userIds),
        slice(rows.chatIds),
        slice(rows.permissions),
        slice(rows.writeBlocked),
        slice(rows.workspaceIds),
        slice(rows.createdPositions),
      ],
    );
  }
}

function lowercase(ids: readonly string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}
