export {
  MEMBER_SELF_POLICY,
  ORG_MEMBERS_TABLE,
  ORGANIZATIONS_TABLE,
  organizationsProjection,
} from './organizations.projection.js';
export {
  enterOrg,
  getOrg,
  listMembers,
  listOrgsOfUser,
  type OrgMemberItem,
  type OrgMembership,
  type OrgOfUser,
  type OrgView,
  resolveOrgMembership,
} from './organizations.queries.js';
