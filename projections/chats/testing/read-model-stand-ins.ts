import type pg from 'pg';
import { type EventRef } from '../../../libs/event-store/index.js';
import { eventRefFor } from '../../../libs/event-store/testing/event-refs.js';
import { setTenant } from '../../../libs/persistence/index.js';
import { installProjection } from '../../../libs/projection-runtime/install.js';
import { GROUP_MEMBERS_TABLE, GROUPS_TABLE, groupsProjection } from '../../groups/index.js';
import { ORG_MEMBERS_TABLE, organizationsProjection } from '../../organizations/index.js';
import { USERS_TABLE, usersProjection } from '../../users/index.js';

/**
 * Test support (imported by tests only): rows of the read models other
 * projections own and the chat and message queries join (users, groups,
 * group_members, org_members), written directly rather than projected from
 * events. The tables are the real projections' (installed where missing,
 * so a test that installs those projections keeps theirs); every row
 * stands in for a made-up event of its own. Rows are written as the owner,
 * tenant rows with the tenant set, as a projector would.
 */
export interface StandIns {
  user(user: { id: string; email: string; displayName: string }): Promise<void>;
  /** The group, and its members as org members too (unless they already are). */
  group(orgId: string, group: { id: string; name: string; members?: readonly string[] }): Promise<void>;
  /** As OrgMemberRemoved leaves it: the org membership goes, group memberships stay. */
  removeFromOrg(orgId: string, userId: string): Promise<void>;
  /** As GroupDeleted leaves it: no row. */
  deleteGroup(orgId: string, groupId: string): Promise<void>;
}

/** The made-up log the stand-in rows' events come from. */
const STAND_IN_LOG = 5;
let events = 0;
const nextEvent = (): EventRef => eventRefFor(++events, STAND_IN_LOG);

export async function installStandIns(ownerPool: pg.Pool): Promise<StandIns> {
  for (const projection of [usersProjection, groupsProjection, organizationsProjection]) {
    await installProjection(ownerPool, projection);
  }

  return {
    user: ({ id, email, displayName }) =>
      inTransaction(ownerPool, null, async (client) => {
        await client.query(
          `INSERT INTO ${USERS_TABLE} (user_id, email, display_name, status, registered_at)
           VALUES ($1, $2, $3, 'active', $4)`,
          [id, email, displayName, nextEvent().occurredAt],
        );
      }),
    group: (orgId, { id, name, members = [] }) =>
      inTransaction(ownerPool, orgId, async (client) => {
        const created = nextEvent();
        await client.query(
          `INSERT INTO ${GROUPS_TABLE} (org_id, group_id, name, created_position, created_at)
           VALUES ($1, $2, $3, $4, $5)`,
          [orgId, id, name, created.position, created.occurredAt],
        );
        for (const userId of members) {
          const joined = nextEvent();
          const since = [joined.eventId, joined.position, joined.occurredAt];
          await client.query(
            `INSERT INTO ${GROUP_MEMBERS_TABLE}
               (org_id, group_id, user_id, since_event_id, since_position, since_occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [orgId, id, userId, ...since],
          );
          await client.query(
            `INSERT INTO ${ORG_MEMBERS_TABLE}
               (org_id, user_id, role, added_position, since_event_id, since_position, since_occurred_at)
             VALUES ($1, $2, 'member', $4, $3, $4, $5) ON CONFLICT DO NOTHING`,
            [orgId, userId, ...since],
          );
        }
      }),
    removeFromOrg: (orgId, userId) =>
      inTransaction(ownerPool, orgId, async (client) => {
        await client.query(`DELETE FROM ${ORG_MEMBERS_TABLE} WHERE org_id = $1 AND user_id = $2`, [
          orgId,
          userId,
        ]);
      }),
    deleteGroup: (orgId, groupId) =>
      inTransaction(ownerPool, orgId, async (client) => {
        await client.query(`DELETE FROM ${GROUP_MEMBERS_TABLE} WHERE org_id = $1 AND group_id = $2`, [
          orgId,
          groupId,
        ]);
        await client.query(`DELETE FROM ${GROUPS_TABLE} WHERE org_id = $1 AND group_id = $2`, [
          orgId,
          groupId,
        ]);
      }),
  };
}

async function inTransaction(
  ownerPool: pg.Pool,
  orgId: string | null,
  work: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const client = await ownerPool.connect();
  try {
    await client.query('BEGIN');
    await setTenant(client, orgId);
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
