export { MESSAGES_TABLE, messagesProjection } from './messages.projection.js';
export { listMessages, type MessageView } from './messages.queries.js';
