import type pg from 'pg';
import { isPermission, type Permission } from '../../libs/authz/policy.js';
import { CURRENT_TENANT_SQL, CURRENT_USER_SQL } from '../../libs/persistence/index.js';
// The chats read model, joined by primary key for what a list shows, as GET …/chats/{id} shows it.
import {
  CHAT_PEOPLE_SQL,
  CHATS_TABLE,
  type ChatPeopleRow,
  peopleOf,
  type UserSummary,
} from '../chats/index.js';
import { type Page, type PageRequest, toPage } from '../page.js';
import { CHAT_ACCESS_TABLE } from './chat-access.schema.js';

export interface ChatAccess {
  /** In policy order; never empty. */
  readonly permissions: Permission[];
  /** The root's workspace is archived: writes answer 410 rather than 403 (libs/authz `writeBlocked`). */
  readonly writeBlocked: boolean;
}

/**
 * What `userId` may do on `chatId`, as libs/authz decided when the facts last
 * changed; null when nothing (no row is no access: missing, deleted, another
 * tenant's, or not shared). One primary-key lookup (benchmark B4).
 */
export async function getChatAccess(
  client: pg.ClientBase,
  orgId: string,
  userId: string,
  chatId: string,
): Promise<ChatAccess | null> {
  const { rows } = await client.query<{ permissions: string[]; write_blocked: boolean }>(
    `SELECT permissions, write_blocked FROM ${CHAT_ACCESS_TABLE}
     WHERE org_id = $1 AND user_id = $2 AND chat_id = $3`,
    [orgId, userId, chatId],
  );
  const row = rows[0];
  return row ? { permissions: row.permissions.filter(isPermission), writeBlocked: row.write_blocked } : null;
}

/**
 * {@link getChatAccess} for the transaction's caller in its tenant (the
 * `tenantry.user_id` and `tenantry.org_id` the statements before it set:
 * users `authenticateCaller`, organizations `enterOrg`), so it can be sent
 * with them in one round trip: with no caller or no tenant set it finds
 * nothing, which is no access.
 */
export async function getCallerChatAccess(client: pg.ClientBase, chatId: string): Promise<ChatAccess | null> {
  const { rows } = await client.query<{ permissions: string[]; write_blocked: boolean }>(
    `SELECT permissions, write_blocked FROM ${CHAT_ACCESS_TABLE}
     WHERE org_id = ${CURRENT_TENANT_SQL} AND user_id = ${CURRENT_USER_SQL} AND chat_id = $1`,
    [chatId],
  );
  const row = rows[0];
  return row ? { permissions: row.permissions.filter(isPermission), writeBlocked: row.write_blocked } : null;
}

export interface VisibleChat {
  readonly id: string;
  readonly title: string;
  /** The root's owner, on a sub-chat too (projections/chats `CHAT_PEOPLE_SQL`). */
  readonly owner: UserSummary;
  readonly createdBy: UserSummary;
  readonly rootChatId: string;
  readonly parentChatId: string | null;
  readonly workspaceId: string | null;
  /** ISO-8601. */
  readonly createdAt: string;
  readonly permissions: Permission[];
}

export interface VisibleChatsRequest {
  readonly orgId: string;
  readonly userId: string;
  /** Only the chats of this workspace (roots bound to it and their sub-chats); null for all. */
  readonly workspaceId: string | null;
  readonly page: PageRequest;
}

/**
 * The chats `userId` can see (any row grants at least `read`), oldest first,
 * keyed by their ChatCreated position. One index range scan of `chat_access`
 * (benchmark B5) joined by primary key to the chats read model (the chat,
 * its root for the owner) and to users for display names, with the
 * LIMIT after the join, so a page is full whenever more visible chats exist:
 * never truncated, whatever share of the org the user sees.
 */
export function listVisibleChats(
  client: pg.ClientBase,
  request: VisibleChatsRequest,
): Promise<Page<VisibleChat>> {
  return visibleChats(client, { org: '$1', user: '$2' }, [request.orgId, request.userId], request);
}

/**
 * {@link listVisibleChats} for the transaction's caller in its tenant (the
 * `tenantry.user_id` and `tenantry.org_id` the statements before it set:
 * users `authenticateCaller`, organizations `enterOrg`), so it can go out in
 * the round trip that opens a request's read scope: with no caller or no
 * tenant set it finds nothing.
 */
export function listCallerVisibleChats(
  client: pg.ClientBase,
  request: Omit<VisibleChatsRequest, 'orgId' | 'userId'>,
): Promise<Page<VisibleChat>> {
  return visibleChats(client, { org: CURRENT_TENANT_SQL, user: CURRENT_USER_SQL }, [], request);
}

async function visibleChats(
  client: pg.ClientBase,
  caller: { readonly org: string; readonly user: string },
  callerParams: readonly string[],
  { workspaceId, page }: Pick<VisibleChatsRequest, 'workspaceId' | 'page'>,
): Promise<Page<VisibleChat>> {
  const params: unknown[] = [...callerParams, page.limit + 1];
  const limit = `$${params.length}`;
  const where = [`a.org_id = ${caller.org}`, `a.user_id = ${caller.user}`];
  if (workspaceId !== null) {
    params.push(workspaceId);
    where.push(`a.workspace_id = $${params.length}`);
  }
  if (page.after !== null) {
    params.push(page.after);
    where.push(`a.created_position > $${params.length}`);
  }
  const { rows } = await client.query<
    ChatPeopleRow & {
      chat_id: string;
      title: string;
      root_chat_id: string;
      parent_chat_id: string | null;
      workspace_id: string | null;
      created_at: Date | string;
      permissions: string[];
      created_position: string;
    }
  >(
    `SELECT a.chat_id, c.title, ${CHAT_PEOPLE_SQL.columns},
            c.root_chat_id, c.parent_chat_id, c.workspace_id, c.created_at,
            a.permissions, a.created_position
     FROM ${CHAT_ACCESS_TABLE} a
     JOIN ${CHATS_TABLE} c ON c.chat_id = a.chat_id AND c.org_id = a.org_id
     ${CHAT_PEOPLE_SQL.joins}
     WHERE ${where.join(' AND ')} AND c.deleted_at IS NULL
     ORDER BY a.created_position
     LIMIT ${limit}`,
    params,
  );
  return toPage(
    rows,
    page,
    (row) => row.created_position,
    (row) => ({
      id: row.chat_id,
      title: row.title,
      ...peopleOf(row),
      rootChatId: row.root_chat_id,
      parentChatId: row.parent_chat_id,
      workspaceId: row.workspace_id,
      createdAt: new Date(row.created_at).toISOString(),
      permissions: row.permissions.filter(isPermission),
    }),
  );
}
