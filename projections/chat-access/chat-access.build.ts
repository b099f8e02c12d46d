import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type pg from 'pg';
import { evaluateChatAccess } from '../../libs/authz/evaluate.js';
import { loadAccessFacts } from './chat-access.loader.js';
import { emptyRows, EVALUATIONS_PER_YIELD, upsertRows } from './chat-access.recompute.js';
import { CHAT_ACCESS_TABLE } from './chat-access.schema.js';

/** Rows written per transaction of a completion: a large org's commits in steps. */
const ROWS_PER_COMMIT = 20_000;

/**
 * Bulk mode (libs/projection-runtime `completeBuild`): how chat-access
 * builds from position 0. A live batch recomputes the pairs its events
 * touched. Over the whole log that is most of the work of a build, and
 * mostly wasted: a root shared 40 times, or an org that gains 6,000
 * members, is recomputed again and again, each time with later facts still
 * to come. In a build the batches only write the facts
 * (chat-access.projection.ts `buildingBatch`), and access is computed here,
 * once per org, from facts that have caught up with the log.
 *
 * The end of a build, for one org: its whole `chat_access` from the fact
 * tables, as libs/authz answers for every candidate pair. Replaces whatever
 * rows the org had (an earlier completion that was killed, or rows a live
 * batch wrote after it): the same answer as recomputing everything.
 */
export async function completeOrgAccess(
  client: pg.ClientBase,
  orgId: string,
  commit: () => Promise<void>,
): Promise<void> {
  await client.query(`DELETE FROM ${CHAT_ACCESS_TABLE} WHERE org_id = $1`, [orgId]);
  const facts = await loadAccessFacts(client, orgId, { roots: 'all' });
  const candidates = new Map(facts.roots.map((root) => [root.id, [...facts.candidatesOf(root)]]));
  let rows = emptyRows();
  let evaluated = 0;
  for (const chat of facts.chats.values()) {
    for (const userId of candidates.get(chat.rootId) ?? []) {
      if (++evaluated % EVALUATIONS_PER_YIELD === 0) await yieldToEventLoop();
      const decision = evaluateChatAccess(facts.factsFor(userId, chat));
      if (decision.permissions.length === 0) continue;
      rows.userIds.push(userId);
      rows.chatIds.push(chat.id);
      rows.permissions.push(decision.permissions.join(','));
      rows.writeBlocked.push(decision.writeBlocked !== null);
      rows.workspaceIds.push(chat.workspaceId);
      rows.createdPositions.push(chat.createdBy.position);
      if (rows.userIds.length >= ROWS_PER_COMMIT) {
        await upsertRows(client, orgId, rows);
        await commit();
        rows = emptyRows();
      }
    }
  }
  await upsertRows(client, orgId, rows);
}
