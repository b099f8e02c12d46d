import { type AclRole } from '../../authz/policy.js';
import { type GroupState } from '../group/group.state.js';
import { type ActiveOrganization } from '../organization/organization.state.js';
import { type WorkspaceState } from '../workspace/workspace.state.js';
import { type ChatState } from './chat.state.js';

/**
 * Every chat command is issued by a user inside an organization. The handler
 * loads the organization and the other streams the chat's access depends on
 * and puts their states on the command: the decider reads no stream itself,
 * and decides from the event store only, never from a read model (DESIGN.md §2).
 */
interface InOrg {
  readonly actorId: string;
  readonly org: ActiveOrganization;
}

/**
 * Where a chat sits in its tree: what, besides the chat's own stream, libs/authz
 * needs to decide on it (see chat-access.ts).
 */
export interface ChatTree {
  /**
   * The root chat's state. Needed for a sub-chat only: on a root the decider
   * uses the root's own state and ignores this (the handler may pass null).
   */
  readonly root: ChatState | null;
  /**
   * The chats strictly between this chat and its root, parent first (walk
   * `parentChatId` up to `rootChatId`); empty for a root and for the root's
   * direct sub-chats. A deleted one hides everything below it.
   */
  readonly ancestors: readonly ChatState[];
  /**
   * The groups named in the root's ACL (for ChangeChatAcl, also those named
   * in the change), by group id. A group left out grants nothing.
   */
  readonly groups: Readonly<Record<string, GroupState>>;
}

/** The facts about an existing chat: its tree, and the root's workspace (null when it has none). */
interface OnChat extends InOrg, ChatTree {
  readonly workspace: WorkspaceState | null;
}

/** POST /v1/orgs/{org}/chats. */
export interface CreateChat extends InOrg {
  readonly type: 'CreateChat';
  readonly chatId: string;
  readonly title: string;
  readonly workspaceId?: string;
  readonly parentChatId?: string;
  /**
   * The workspace named by `workspaceId`, or, for a sub-chat, the workspace
   * of the parent's root; null when there is none (or it could not be found).
   */
  readonly workspace: WorkspaceState | null;
  /** For a sub-chat: the parent's state (absent when no such chat) and its tree. Null otherwise. */
  readonly parent: ({ readonly chat: ChatState } & ChatTree) | null;
}

/** PATCH /v1/orgs/{org}/chats/{chatId} `{title}`. */
export interface RenameChat extends OnChat {
  readonly type: 'RenameChat';
  readonly title: string;
}

/** The role to give a subject, or "" to remove its entry (the PATCH body's values). */
export type AclChange = AclRole | '';

/** PATCH /v1/orgs/{org}/chats/{chatId}/acl. */
export interface ChangeChatAcl extends OnChat {
  readonly type: 'ChangeChatAcl';
  /** The request body (`users` and `groups` default to `{}`), keyed by user id and group id. */
  readonly change: {
    readonly users: Readonly<Record<string, AclChange>>;
    readonly groups: Readonly<Record<string, AclChange>>;
  };
}

/** DELETE /v1/orgs/{org}/chats/{chatId}. */
export interface DeleteChat extends OnChat {
  readonly type: 'DeleteChat';
}

/**
 * POST /v1/orgs/{org}/chats/{chatId}/messages. Decided against the state of
 * the CHAT's stream (`streams.chat`: metadata and ACL, short), but the handler
 * appends the resulting `ChatMessagePosted` to `streams.chatMessages` with
 * expected revision `any`: messages never need each other, and the chat's
 * stream never grows with them, so posting stays O(1) however long the chat
 * is (DESIGN.md §5). A concurrent deletion or revocation is not serialized
 * with the post; a message racing it by milliseconds is accepted, as it
 * would have been a moment earlier.
 */
export interface PostChatMessage extends OnChat {
  readonly type: 'PostChatMessage';
  readonly messageId: string;
  readonly body: string;
}

export type ChatCommand = CreateChat | RenameChat | ChangeChatAcl | DeleteChat | PostChatMessage;
