import type pg from 'pg';
import { loadAccessFacts } from './chat-access.loader.js';
import { emptyRows, forEachGrant, pushRow, upsertRows } from './chat-access.recompute.js';
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
  let rows = emptyRows();
  await forEachGrant(facts, null, async (userId, chat, decision) => {
    pushRow(rows, userId, chat, decision);
    if (rows.userIds.length >= ROWS_PER_COMMIT) {
      await upsertRows(client, orgId, rows);
      await commit();
      rows = emptyRows();
    }
  });
  await upsertRows(client, orgId, rows);
}
