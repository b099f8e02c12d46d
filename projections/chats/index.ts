export { CHAT_ACL_ENTRIES_TABLE, CHATS_TABLE, chatsProjection } from './chats.projection.js';
export {
  CHAT_PEOPLE_SQL,
  type ChatAclView,
  type ChatPeopleRow,
  type ChatView,
  getChat,
  getTenantChat,
  getChatAcl,
  peopleOf,
  type UserSummary,
} from './chats.queries.js';
