import type pg from 'pg';
import { type Page, type PageRequest, toPage } from '../page.js';
import { ORG_MEMBERS_TABLE } from '../organizations/index.js';
import { GROUP_MEMBERS_TABLE, GROUPS_TABLE } from './groups.projection.js';

export interface GroupListItem {
  readonly id: string;
  readonly name: string;
  /**
   * Members who are members of the org now. A user who left the org keeps
   * their group membership (it counts again if they are re-added) but gets
   * nothing from it meanwhile (DESIGN.md §5 rule 1), so they are not counted.
   */
  readonly memberCount: number;
}

/**
 * A group's `memberCount` as SQL: an int expression over `group`, the alias
 * of a row of the groups table. Every answer that shows a member count uses
 * it (the groups list, a chat's ACL), so the two cannot count differently.
 */
export function groupMemberCountSql(group: string): string {
  return `(SELECT count(*)::int
             FROM ${GROUP_MEMBERS_TABLE} gm
             JOIN ${ORG_MEMBERS_TABLE} om ON om.org_id = gm.org_id AND om.user_id = gm.user_id
            WHERE gm.org_id = ${group}.org_id AND gm.group_id = ${group}.group_id)`;
}

/** The org's groups in the order they were created. Reads: groups, organizations. */
export async function listGroups(
  client: pg.ClientBase,
  orgId: string,
  page: PageRequest,
): Promise<Page<GroupListItem>> {
  const { rows } = await client.query<{
    group_id: string;
    name: string;
    created_position: string;
    member_count: number;
  }>(
    `SELECT g.group_id, g.name, g.created_position, ${groupMemberCountSql('g')} AS member_count
       FROM ${GROUPS_TABLE} g
      WHERE g.org_id = $1 AND ($2::text IS NULL OR g.created_position > $2)
      ORDER BY g.created_position
      LIMIT $3`,
    [orgId, page.after, page.limit + 1],
  );
  return toPage(
    rows,
    page,
    (row) => row.created_position,
    (row) => ({ id: row.group_id, name: row.name, memberCount: row.member_count }),
  );
}
