export { ACL_EVENTS_TABLE, aclHistoryProjection } from './acl-history.projection.js';
export {
  type AclBound,
  type AclEventFilters,
  type AclEventItem,
  listAclEvents,
} from './acl-history.queries.js';
