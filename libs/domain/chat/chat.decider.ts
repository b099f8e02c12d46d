import {
  assertNever,
  assertStorableText,
  assertText,
  type Decider,
  PersistentOrderedMap,
  refuse,
  type Recorded,
} from '../kernel/index.js';
import { changeChatAcl } from './chat.acl.js';
import { assertPermitted, visibleChat } from './chat.authorize.js';
import { type ChatCommand, type DeleteChat, type PostChatMessage, type RenameChat } from './chat.commands.js';
import { CHAT_TITLE_MAX, createChat } from './chat.create.js';
import { isMessageBody, MESSAGE_BODY_RULE } from './chat.input.js';
import { type ChatEvent } from './chat.events.js';
import { type ChatState, subjectKey } from './chat.state.js';

export { CHAT_TITLE_MAX } from './chat.create.js';
export { CHAT_MESSAGE_MAX } from './chat.input.js';

/**
 * The chat of DESIGN.md §5: its place in a tree of chats, its owner, title
 * and ACL. Every command is authorized by libs/authz's `evaluateChatAccess`
 * on facts built from the states the handler loads (chat-access.ts), in the
 * order of chat.authorize.ts: 404 → the command's 400s → 410 → 403.
 */
export const chatDecider: Decider<ChatCommand, ChatEvent, ChatState> = {
  initialState: { status: 'absent' },

  decide(command, state) {
    switch (command.type) {
      case 'CreateChat':
        return createChat(command, state);
      case 'RenameChat':
        return rename(command, state);
      case 'ChangeChatAcl':
        return changeChatAcl(command, state);
      case 'DeleteChat':
        return remove(command, state);
      case 'PostChatMessage':
        return post(command, state);
      default:
        return assertNever(command);
    }
  },

  evolve(state, event: Recorded<ChatEvent>) {
    if (event.type === 'ChatCreated') {
      if (state.status !== 'absent') return state;
      return { status: 'active', ...event.data, createdBy: event.ref, acl: PersistentOrderedMap() };
    }
    if (state.status !== 'active') return state;
    switch (event.type) {
      case 'ChatRenamed':
        return { ...state, title: event.data.title };
      case 'ChatShared': {
        const { subject, role } = event.data;
        return { ...state, acl: state.acl.set(subjectKey(subject), { subject, role, grantedBy: event.ref }) };
      }
      case 'ChatUnshared':
        return { ...state, acl: state.acl.remove(subjectKey(event.data.subject)) };
      case 'ChatDeleted':
        return { ...state, status: 'deleted', deletedBy: event.ref };
      case 'ChatMessagePosted':
        // Lives in the messages stream; changes nothing the chat's decisions depend on.
        return state;
      default:
        return assertNever(event);
    }
  },
};

/** Renaming to the current title appends nothing, but is still authorized first (410 and 403 included). */
function rename(command: RenameChat, state: ChatState): ChatEvent[] {
  const { chat, decision } = visibleChat(command, state);
  assertText('title', command.title, CHAT_TITLE_MAX);
  assertPermitted(decision, 'write');
  if (command.title === chat.title) return [];
  const { orgId, chatId } = chat;
  return [{ type: 'ChatRenamed', data: { orgId, chatId, title: command.title, previousTitle: chat.title } }];
}

/** Deleting a root hides its sub-chats with it; deleting a sub-chat hides the sub-chats under it. */
function remove(command: DeleteChat, state: ChatState): ChatEvent[] {
  const { chat, decision } = visibleChat(command, state);
  assertPermitted(decision, 'delete');
  return [{ type: 'ChatDeleted', data: { orgId: chat.orgId, chatId: chat.chatId } }];
}

function post(command: PostChatMessage, state: ChatState): ChatEvent[] {
  const { chat, decision } = visibleChat(command, state);
  assertMessageBody(command.body);
  assertPermitted(decision, 'write');
  const { messageId, body, actorId } = command;
  return [
    {
      type: 'ChatMessagePosted',
      data: { orgId: chat.orgId, chatId: chat.chatId, messageId, authorId: actorId, body },
    },
  ];
}

/** The rule of chat.input.ts; the body is stored as sent, untrimmed. */
function assertMessageBody(body: string): void {
  assertStorableText('body', body);
  if (!isMessageBody(body)) {
    throw refuse.invalid('INPUT.TEXT_LENGTH', `body ${MESSAGE_BODY_RULE}`, [
      { field: 'body', message: MESSAGE_BODY_RULE },
    ]);
  }
}
