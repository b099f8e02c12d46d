import { type AclEntry } from '../../authz/access-facts.js';
import { type EventRef, type PersistentOrderedMap } from '../kernel/index.js';
import { type ChatSubject } from './chat.events.js';

interface ChatFields {
  readonly orgId: string;
  readonly chatId: string;
  readonly title: string;
  /** The creator. Grants everything on a root; nothing of its own on a sub-chat (libs/authz rule 2). */
  readonly ownerId: string;
  /** The `ChatCreated` event, named by libs/authz as the reason of the owner's rights. */
  readonly createdBy: EventRef;
  /** The root's workspace, on a sub-chat too; null outside any workspace. */
  readonly workspaceId: string | null;
  readonly parentChatId: string | null;
  /** The chat's own id on a root. */
  readonly rootChatId: string;
  /**
   * The ACL by {@link subjectKey}, each entry with the `ChatShared` that set
   * it. Only a root's ACL counts: sub-chats have none of their own (they are
   * refused ACL changes, so theirs stays empty). Ordered: entries keep the
   * order they were first granted in, as the facts handed to libs/authz do.
   */
  readonly acl: PersistentOrderedMap<string, AclEntry>;
}

export type ChatState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'active' } & ChatFields)
  | ({
      /**
       * Final: a deleted chat is missing for every command (DESIGN.md §5), and
       * so are its sub-chats when it is a root. It keeps its fields so that
       * the facts about it stay complete for whoever folds the stream.
       */
      readonly status: 'deleted';
      readonly deletedBy: EventRef;
    } & ChatFields);

export type ActiveChat = Extract<ChatState, { status: 'active' }>;
/** A chat that was created: active or deleted. */
export type ExistingChat = Exclude<ChatState, { status: 'absent' }>;

/** The key of a subject's entry in {@link ChatFields.acl}: one entry per user or group. */
export function subjectKey(subject: ChatSubject): string {
  return `${subject.kind}:${subject.id}`;
}

export function isRootChat(chat: ExistingChat): boolean {
  return chat.rootChatId === chat.chatId;
}
