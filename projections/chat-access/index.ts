export { type AccessScope, type RecomputeResult, recomputeAccess } from './chat-access.recompute.js';
export { chatAccessProjection } from './chat-access.projection.js';
export {
  type ChatAccess,
  getCallerChatAccess,
  getChatAccess,
  listCallerVisibleChats,
  listVisibleChats,
  type VisibleChat,
  type VisibleChatsRequest,
} from './chat-access.queries.js';
export { CHAT_ACCESS_TABLE, CHAT_ACCESS_TABLES } from './chat-access.schema.js';
