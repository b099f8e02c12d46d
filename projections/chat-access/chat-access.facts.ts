import type pg from 'pg';
import { type EventRef } from '../../libs/event-store/index.js';
import { type ChatEvent } from '../../libs/domain/chat/chat.events.js';
import { type AccessScope } from './chat-access.loader.js';
import {
  ACCESS_ACL_TABLE,
  ACCESS_CHATS_TABLE,
  ACCESS_GROUP_MEMBERS_TABLE,
  ACCESS_ORG_MEMBERS_TABLE,
  ACCESS_ORG_SETTINGS_TABLE,
  ACCESS_WORKSPACE_MEMBERS_TABLE,
  ACCESS_WORKSPACES_TABLE,
} from './chat-access.schema.js';

// The fact-table writes that chat-access.projection.ts's handlers share, and
// the queries that turn a fact change into the scope of pairs to recompute.

export const refValues = (ref: EventRef) => [ref.eventId, ref.position, ref.occurredAt];

/** Archived by the event `ref` names, or unarchived (null): the workspace's roots, for everyone. */
export async function setArchivedBy(
  client: pg.ClientBase,
  orgId: string,
  workspaceId: string,
  ref: EventRef | null,
  scoped: boolean,
): Promise<AccessScope | null> {
  const [, roots] = await Promise.all([
    client.query(
      `UPDATE ${ACCESS_WORKSPACES_TABLE}
       SET archived_by_event_id = $3, archived_by_position = $4, archived_by_occurred_at = $5
       WHERE org_id = $1 AND workspace_id = $2`,
      [orgId, workspaceId, ...(ref ? refValues(ref) : [null, null, null])],
    ),
    scoped ? rootsInWorkspace(client, orgId, workspaceId) : null,
  ]);
  return roots && { roots };
}

/** Added, re-added or given another role: their stored group and workspace memberships count again. */
export async function setOrgMember(
  client: pg.ClientBase,
  orgId: string,
  userId: string,
  role: string,
  ref: EventRef,
): Promise<AccessScope> {
  await client.query(
    `INSERT INTO ${ACCESS_ORG_MEMBERS_TABLE}
       (org_id, user_id, role, since_event_id, since_position, since_occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role,
       since_event_id = excluded.since_event_id, since_position = excluded.since_position,
       since_occurred_at = excluded.since_occurred_at`,
    [orgId, userId, role, ...refValues(ref)],
  );
  return { roots: 'all', users: [userId] };
}

export async function upsertWorkspaceMember(
  client: pg.ClientBase,
  orgId: string,
  workspaceId: string,
  userId: string,
  role: string,
  ref: EventRef,
): Promise<void> {
  await client.query(
    `INSERT INTO ${ACCESS_WORKSPACE_MEMBERS_TABLE}
       (org_id, workspace_id, user_id, role, since_event_id, since_position, since_occurred_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (org_id, workspace_id, user_id) DO UPDATE SET role = excluded.role,
       since_event_id = excluded.since_event_id, since_position = excluded.since_position,
       since_occurred_at = excluded.since_occurred_at`,
    [orgId, workspaceId, userId, role, ...refValues(ref)],
  );
}

/**
 * A new root: its pairs (owner, org owners and admins, workspace members).
 * A new sub-chat: its own pairs only; the root's other chats are unchanged.
 */
export async function createChat(
  client: pg.ClientBase,
  orgId: string,
  data: Extract<ChatEvent, { type: 'ChatCreated' }>['data'],
  ref: EventRef,
): Promise<AccessScope> {
  const { chatId, rootChatId, parentChatId, ownerId, workspaceId } = data;
  // One statement, the parent's ancestors read in it: a bulk batch issues the next event's
  // writes before this one's answer is back (chat-access.build.ts).
  const { rows } = await client.query<{ parent_known: boolean }>(
    `WITH parent AS (
       SELECT ancestor_ids || chat_id AS ancestor_ids FROM ${ACCESS_CHATS_TABLE}
       WHERE org_id = $1 AND chat_id = $4
     ), inserted AS (
       INSERT INTO ${ACCESS_CHATS_TABLE} (org_id, chat_id, root_chat_id, parent_chat_id, ancestor_ids,
         owner_id, workspace_id, created_event_id, created_position, created_occurred_at, deleted)
       SELECT $1, $2, $3, $4, coalesce(p.ancestor_ids, '{}'), $5, $6, $7, $8, $9, false
       FROM (SELECT 1) one LEFT JOIN parent p ON true
       WHERE $4::uuid IS NULL OR p.ancestor_ids IS NOT NULL
       ON CONFLICT (org_id, chat_id) DO NOTHING
     )
     SELECT $4::uuid IS NULL OR EXISTS (SELECT 1 FROM parent) AS parent_known`,
    [orgId, chatId, rootChatId, parentChatId, ownerId, workspaceId, ...refValues(ref)],
  );
  // The chat decider checked the parent on the event store: a parent missing here is a gap in
  // this projection's facts, and guessing the tree could grant through the wrong root.
  if (!rows[0]!.parent_known)
    throw new Error(`chat-access: the parent ${parentChatId} of chat ${chatId} is unknown`);
  return parentChatId === null ? { roots: [chatId] } : { roots: [rootChatId], chats: [chatId] };
}

/** An ACL change on a root: the user named, or the group's current members. */
export async function aclScope(
  client: pg.ClientBase,
  orgId: string,
  chatId: string,
  subject: { readonly kind: 'user' | 'group'; readonly id: string },
): Promise<AccessScope | null> {
  // Both statements leave at once: the members are read whether or not the chat is a known root.
  const root = client.query<{ root_chat_id: string }>(
    `SELECT root_chat_id FROM ${ACCESS_CHATS_TABLE} WHERE org_id = $1 AND chat_id = $2`,
    [orgId, chatId],
  );
  // Former members were recomputed when they left; a deleted group has no members left here.
  const members =
    subject.kind === 'group'
      ? client.query<{ user_id: string }>(
          `SELECT user_id FROM ${ACCESS_GROUP_MEMBERS_TABLE} WHERE org_id = $1 AND group_id = $2`,
          [orgId, subject.id],
        )
      : null;
  const [{ rows }, groupMembers] = await Promise.all([root, members]);
  const rootId = rows[0]?.root_chat_id;
  if (rootId === undefined) return null;
  const users = groupMembers ? groupMembers.rows.map((row) => row.user_id) : [subject.id];
  return { roots: [rootId], users };
}

/**
 * `chatSharingDisabled` changes what ACL entries grant: the roots that have
 * entries. `workspaceSharingDisabled` changes what workspace memberships
 * grant: the roots bound to a workspace. Everyone on those roots.
 */
export async function changeSettings(
  client: pg.ClientBase,
  orgId: string,
  settings: { chatSharingDisabled: boolean; workspaceSharingDisabled: boolean },
  scoped: boolean,
): Promise<AccessScope | null> {
  const { rows } = await client.query<{ chat_changed: boolean; workspace_changed: boolean }>(
    `WITH previous AS (
       SELECT chat_sharing_disabled, workspace_sharing_disabled FROM ${ACCESS_ORG_SETTINGS_TABLE}
       WHERE org_id = $1
     ), updated AS (
       INSERT INTO ${ACCESS_ORG_SETTINGS_TABLE} (org_id, chat_sharing_disabled, workspace_sharing_disabled)
       VALUES ($1, $2, $3)
       ON CONFLICT (org_id) DO UPDATE SET chat_sharing_disabled = excluded.chat_sharing_disabled,
         workspace_sharing_disabled = excluded.workspace_sharing_disabled
     )
     SELECT coalesce(p.chat_sharing_disabled, false) <> $2 AS chat_changed,
            coalesce(p.workspace_sharing_disabled, false) <> $3 AS workspace_changed
     FROM (SELECT 1) one LEFT JOIN previous p ON true`,
    [orgId, settings.chatSharingDisabled, settings.workspaceSharingDisabled],
  );
  const { chat_changed: chatChanged, workspace_changed: workspaceChanged } = rows[0]!;
  if (!scoped || (!chatChanged && !workspaceChanged)) return null;
  const roots = await client.query<{ chat_id: string }>(
    `SELECT r.chat_id FROM ${ACCESS_CHATS_TABLE} r
     WHERE r.org_id = $1 AND r.parent_chat_id IS NULL AND (
       ($2 AND EXISTS (SELECT 1 FROM ${ACCESS_ACL_TABLE} a WHERE a.org_id = r.org_id AND a.chat_id = r.chat_id))
       OR ($3 AND r.workspace_id IS NOT NULL))`,
    [orgId, chatChanged, workspaceChanged],
  );
  return { roots: roots.rows.map((row) => row.chat_id) };
}

export async function rootsInWorkspace(
  client: pg.ClientBase,
  orgId: string,
  workspaceId: string,
): Promise<string[]> {
  const { rows } = await client.query<{ chat_id: string }>(
    `SELECT chat_id FROM ${ACCESS_CHATS_TABLE}
     WHERE org_id = $1 AND workspace_id = $2 AND parent_chat_id IS NULL`,
    [orgId, workspaceId],
  );
  return rows.map((row) => row.chat_id);
}

/** Chats whose ACL names the group: roots, or sub-chats whose (inert) entries load no tree. */
export async function rootsSharedWithGroup(
  client: pg.ClientBase,
  orgId: string,
  groupId: string,
): Promise<string[]> {
  const { rows } = await client.query<{ chat_id: string }>(
    `SELECT a.chat_id FROM ${ACCESS_ACL_TABLE} a
     WHERE a.org_id = $1 AND a.subject_kind = 'group' AND a.subject_id = $2`,
    [orgId, groupId],
  );
  return rows.map((row) => row.chat_id);
}
