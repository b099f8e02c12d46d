import type pg from 'pg';
import { type AclRole } from '../../libs/authz/policy.js';
import { CURRENT_TENANT_SQL, READ_MODEL_SCHEMA } from '../../libs/persistence/index.js';
import { groupMemberCountSql } from '../groups/index.js';
import { CHAT_ACL_ENTRIES_TABLE, CHATS_TABLE } from './chats.projection.js';

// Read models of other projections, joined by name.
const USERS_TABLE = `${READ_MODEL_SCHEMA}.users`;
const GROUPS_TABLE = `${READ_MODEL_SCHEMA}.groups`;

/**
 * A user as other people see them: never the email (DESIGN.md §10).
 * `displayName` is null only while the users read model has not yet caught
 * up with the user's registration.
 */
export interface UserSummary {
  readonly id: string;
  readonly displayName: string | null;
}

export interface ChatView {
  readonly id: string;
  readonly title: string;
  /**
   * The root's owner, on a sub-chat too: libs/authz rule 2 gives them
   * everything on the tree (DESIGN.md §5 Chat).
   */
  readonly owner: UserSummary;
  /** Whoever created this chat: the owner on a root; on a sub-chat it grants nothing of its own. */
  readonly createdBy: UserSummary;
  readonly rootChatId: string;
  readonly parentChatId: string | null;
  /** The root's workspace, on sub-chats too. */
  readonly workspaceId: string | null;
  /** ISO-8601. */
  readonly createdAt: string;
}

/**
 * Who a chat of alias `c` (a row of the chats table) shows as its owner and
 * its creator, in SQL for every query that shows a chat (one chat, the
 * list): `columns` for the SELECT, `joins` after the FROM, and
 * {@link peopleOf} to read them back.
 *
 * A row's `owner_id` is its `ChatCreated.ownerId`: the creator. The owner of
 * a tree is the creator of its root (libs/authz rule 2), which no event
 * changes, so the root row (`r`) holds it for every chat below. Joined
 * rather than copied into each row, so rows already projected need no
 * rebuild; the projection inserts a sub-chat only under a parent of the same
 * tree, so the root row is there.
 */
export const CHAT_PEOPLE_SQL = {
  columns: `r.owner_id AS owner_id, owner_user.display_name AS owner_display_name,
            c.owner_id AS created_by_id, creator_user.display_name AS created_by_display_name`,
  joins: `JOIN ${CHATS_TABLE} r ON r.org_id = c.org_id AND r.chat_id = c.root_chat_id
          LEFT JOIN ${USERS_TABLE} owner_user ON owner_user.user_id = r.owner_id
          LEFT JOIN ${USERS_TABLE} creator_user ON creator_user.user_id = c.owner_id`,
} as const;

export interface ChatPeopleRow {
  readonly owner_id: string;
  readonly owner_display_name: string | null;
  readonly created_by_id: string;
  readonly created_by_display_name: string | null;
}

export function peopleOf(row: ChatPeopleRow): { owner: UserSummary; createdBy: UserSummary } {
  return {
    owner: { id: row.owner_id, displayName: row.owner_display_name },
    createdBy: { id: row.created_by_id, displayName: row.created_by_display_name },
  };
}

export interface ChatAclView {
  readonly users: Array<UserSummary & { readonly role: AclRole }>;
  readonly groups: Array<{
    readonly id: string;
    readonly name: string;
    readonly memberCount: number;
    readonly role: AclRole;
  }>;
}

/**
 * One chat, or null when it does not exist in the org or is deleted (itself
 * or any chat above it: the projection marks the whole subtree). It
 * authorizes nothing: callers check the caller's access first.
 */
export async function getChat(
  client: pg.ClientBase,
  orgId: string,
  chatId: string,
): Promise<ChatView | null> {
  return chatViewOf(await client.query<ChatViewRow>(chatViewSql('$1', '$2'), [orgId, chatId]));
}

/**
 * {@link getChat} in the org the transaction's tenant names (organizations
 * `enterOrg` sets it in the statement before): so it can go out in the same
 * round trip as that statement. With no tenant set it finds nothing.
 */
export async function getTenantChat(client: pg.ClientBase, chatId: string): Promise<ChatView | null> {
  return chatViewOf(await client.query<ChatViewRow>(chatViewSql(CURRENT_TENANT_SQL, '$1'), [chatId]));
}

type ChatViewRow = ChatPeopleRow & {
  chat_id: string;
  title: string;
  root_chat_id: string;
  parent_chat_id: string | null;
  workspace_id: string | null;
  created_at: Date;
};

function chatViewSql(orgId: string, chatId: string): string {
  return `SELECT c.chat_id, c.title, ${CHAT_PEOPLE_SQL.columns},
            c.root_chat_id, c.parent_chat_id, c.workspace_id, c.created_at
     FROM ${CHATS_TABLE} c
     ${CHAT_PEOPLE_SQL.joins}
     WHERE c.org_id = ${orgId} AND c.chat_id = ${chatId} AND c.deleted_at IS NULL`;
}

function chatViewOf({ rows }: pg.QueryResult<ChatViewRow>): ChatView | null {
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.chat_id,
    title: row.title,
    ...peopleOf(row),
    rootChatId: row.root_chat_id,
    parentChatId: row.parent_chat_id,
    workspaceId: row.workspace_id,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * The ACL stored on a root chat (sub-chats have none: pass the root's id),
 * as GET …/acl shows it (DESIGN.md §10): display names, group names and
 * member counts; never emails or member lists. Entries for groups that no
 * longer exist are left out, as libs/authz leaves them out (they grant
 * nothing). Entries of users who left the org stay: they are still stored
 * and count again should the user return. A group's memberCount counts its
 * members who are in the org now, as the groups list does: the others keep
 * their membership but get nothing from it meanwhile (DESIGN.md §5 rule 1):
 * one SQL expression, groupMemberCountSql, serves both. Users are ordered by display name
 * then id, groups by name then id. It neither checks that the chat exists
 * nor authorizes.
 */
export async function getChatAcl(
  client: pg.ClientBase,
  orgId: string,
  rootChatId: string,
): Promise<ChatAclView> {
  const users = await client.query<{ id: string; display_name: string | null; role: AclRole }>(
    `SELECT e.subject_id AS id, u.display_name, e.role
     FROM ${CHAT_ACL_ENTRIES_TABLE} e
     LEFT JOIN ${USERS_TABLE} u ON u.user_id = e.subject_id
     WHERE e.org_id = $1 AND e.chat_id = $2 AND e.subject_kind = 'user'
     ORDER BY u.display_name, e.subject_id`,
    [orgId, rootChatId],
  );
  const groups = await client.query<{ id: string; name: string; member_count: number; role: AclRole }>(
    `SELECT g.group_id AS id, g.name, e.role, ${groupMemberCountSql('g')} AS member_count
     FROM ${CHAT_ACL_ENTRIES_TABLE} e
     JOIN ${GROUPS_TABLE} g ON g.org_id = e.org_id AND g.group_id = e.subject_id
     WHERE e.org_id = $1 AND e.chat_id = $2 AND e.subject_kind = 'group'
     ORDER BY g.name, g.group_id`,
    [orgId, rootChatId],
  );
  return {
    users: users.rows.map((row) => ({ id: row.id, displayName: row.display_name, role: row.role })),
    groups: groups.rows.map((row) => ({
      id: row.id,
      name: row.name,
      memberCount: row.member_count,
      role: row.role,
    })),
  };
}
