export { CHAT_ACL_ENTRIES_TABLE, CHATS_TABLE, chatsProjection } from './chats.projection.js';
export { type ChatAclView, type ChatView, getChat, getChatAcl, type UserSummary } from './chats.queries.js';
