import type pg from 'pg';
import { evaluateChatAccess } from '../../libs/authz/evaluate.js';
import { type AccessScope, loadAccessFacts } from './chat-access.loader.js';
import { CHAT_ACCESS_TABLE } from './chat-access.schema.js';

export type { AccessScope } from './chat-access.loader.js';

/** What one recompute wrote: the write cost of the event behind it. */
export interface RecomputeResult {
  readonly deleted: number;
  readonly inserted: number;
}

/** Rows per INSERT: bounds the size of one statement's arrays on an org-wide recompute. */
const INSERT_CHUNK = 10_000;

/**
 * Recomputes `chat_access` for the pairs of `scope` in `orgId` (the org the
 * transaction's tenant names): loads the facts in bulk from this projection's
 * fact tables, asks libs/authz's {@link evaluateChatAccess} about every
 * candidate pair, then replaces the scope's rows: those of the scope's chats
 * (every chat of the org for `roots: 'all'`) for the scope's users (or
 * everyone), deleted, and one row inserted per pair granted anything.
 *
 * Nothing here knows a rule of DESIGN.md §5: the candidates are a superset of
 * whoever can hold anything (root owner, org owners and admins, ACL users,
 * members of ACL groups, workspace members), and evaluateChatAccess decides.
 */
export async function recomputeAccess(
  client: pg.ClientBase,
  orgId: string,
  scope: AccessScope,
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
  const rows: AccessRows = {
    userIds: [],
    chatIds: [],
    permissions: [],
    writeBlocked: [],
    workspaceIds: [],
    createdPositions: [],
  };
  const candidates = new Map(facts.roots.map((root) => [root.id, [...facts.candidatesOf(root)]]));
  for (const chat of facts.chats.values()) {
    if (onlyChats && !onlyChats.has(chat.id)) continue;
    for (const userId of candidates.get(chat.rootId) ?? []) {
      const decision = evaluateChatAccess(facts.factsFor(userId, chat));
      if (decision.permissions.length === 0) continue;
      rows.userIds.push(userId);
      rows.chatIds.push(chat.id);
      rows.permissions.push(decision.permissions.join(','));
      rows.writeBlocked.push(decision.writeBlocked !== null);
      rows.workspaceIds.push(chat.workspaceId);
      rows.createdPositions.push(chat.createdBy.position);
    }
  }

  const deleted = await deleteScope(client, orgId, normalized, [...facts.chats.keys()]);
  await insertRows(client, orgId, rows);
  return { deleted, inserted: rows.userIds.length };
}

interface AccessRows {
  userIds: string[];
  chatIds: string[];
  /** Comma-joined: unnest cannot yield arrays of arrays. */
  permissions: string[];
  writeBlocked: boolean[];
  workspaceIds: Array<string | null>;
  createdPositions: string[];
}

/**
 * Deletes the scope's current rows. For a list of roots, `treeChats` are all
 * the chats of their trees (loaded anyway). For `roots: 'all'` the loader may
 * have loaded fewer roots than the org has, so the delete goes by user alone.
 */
async function deleteScope(
  client: pg.ClientBase,
  orgId: string,
  scope: AccessScope,
  treeChats: string[],
): Promise<number> {
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
  const { rowCount } = await client.query(
    `DELETE FROM ${CHAT_ACCESS_TABLE} WHERE ${where.join(' AND ')}`,
    params,
  );
  return rowCount ?? 0;
}

async function insertRows(client: pg.ClientBase, orgId: string, rows: AccessRows): Promise<void> {
  for (let start = 0; start < rows.userIds.length; start += INSERT_CHUNK) {
    const slice = <T>(values: T[]) => values.slice(start, start + INSERT_CHUNK);
    await client.query(
      `INSERT INTO ${CHAT_ACCESS_TABLE}
         (org_id, user_id, chat_id, permissions, write_blocked, workspace_id, created_position)
       SELECT $1, user_id, chat_id, string_to_array(permissions, ','), write_blocked, workspace_id,
              created_position
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::boolean[], $6::uuid[], $7::text[])
         AS t(user_id, chat_id, permissions, write_blocked, workspace_id, created_position)`,
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
