export { GROUP_MEMBERS_TABLE, GROUPS_TABLE, groupsProjection } from './groups.projection.js';
export { type GroupListItem, groupMemberCountSql, listGroups } from './groups.queries.js';
