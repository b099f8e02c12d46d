import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type AclRole, type OrgRole, type WorkspaceRole } from '../../../libs/authz/policy.js';
import { type ChatSubject } from '../../../libs/domain/chat/chat.events.js';
import { streams } from '../../../libs/domain/streams.js';
import { CHAT_ACCESS_TABLE } from '../chat-access.schema.js';

/** What the scenario needs of test/support/projection-harness.ts (not imported: test code stays in test/). */
export interface ScenarioHarness {
  append(
    stream: string,
    events: ReadonlyArray<{ type: string; data: object }>,
    orgId?: string,
  ): Promise<unknown>;
  project(): Promise<void>;
  read<T>(
    scope: { orgId?: string | null; userId?: string | null },
    read: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T>;
}

export const user = (id: string): ChatSubject => ({ kind: 'user', id });
export const group = (id: string): ChatSubject => ({ kind: 'group', id });

/**
 * Test support (imported by tests only): one org's events written by hand,
 * each appended to its stream and projected at once, and the resulting
 * `chat_access` rows read back as the API's role would. Events are raw, so a
 * scenario can reach states a handler would refuse to produce; keep them to
 * what the domain allows unless a test says otherwise.
 */
export class AccessScenario {
  readonly orgId = randomUUID();
  private readonly chats = new Map<string, { rootChatId: string; workspaceId: string | null }>();

  constructor(private readonly harness: ScenarioHarness) {}

  async orgCreated(ownerId: string): Promise<void> {
    const { orgId } = this;
    await this.emit(streams.organization(orgId), [
      {
        type: 'OrganizationCreated',
        data: { orgId, slug: `org-${orgId.slice(0, 8)}`, name: 'Org', createdBy: ownerId },
      },
      { type: 'OrgMemberAdded', data: { orgId, userId: ownerId, role: 'owner' } },
    ]);
  }

  memberAdded(userId: string, role: OrgRole = 'member'): Promise<void> {
    return this.emit(streams.organization(this.orgId), [
      { type: 'OrgMemberAdded', data: { orgId: this.orgId, userId, role } },
    ]);
  }

  /** Many members at once: one append, one projection. */
  membersAdded(userIds: readonly string[], role: OrgRole = 'member'): Promise<void> {
    return this.emit(
      streams.organization(this.orgId),
      userIds.map((userId) => ({ type: 'OrgMemberAdded', data: { orgId: this.orgId, userId, role } })),
    );
  }

  roleChanged(userId: string, role: OrgRole, previousRole: OrgRole): Promise<void> {
    return this.emit(streams.organization(this.orgId), [
      {
        type: 'MemberRoleChanged',
        data: { scope: 'organization', orgId: this.orgId, userId, role, previousRole },
      },
    ]);
  }

  memberRemoved(userId: string, previousRole: OrgRole = 'member'): Promise<void> {
    return this.emit(streams.organization(this.orgId), [
      { type: 'OrgMemberRemoved', data: { orgId: this.orgId, userId, previousRole } },
    ]);
  }

  settingsChanged(
    settings: { chatSharingDisabled: boolean; workspaceSharingDisabled: boolean },
    previous = { chatSharingDisabled: false, workspaceSharingDisabled: false },
  ): Promise<void> {
    return this.emit(streams.organization(this.orgId), [
      { type: 'OrgSettingsChanged', data: { orgId: this.orgId, settings, previous } },
    ]);
  }

  async groupCreated(members: readonly string[] = []): Promise<string> {
    const groupId = randomUUID();
    const { orgId } = this;
    await this.emit(streams.group(orgId, groupId), [
      { type: 'GroupCreated', data: { orgId, groupId, name: 'Group' } },
      ...members.map((userId) => ({ type: 'GroupMemberAdded', data: { orgId, groupId, userId } })),
    ]);
    return groupId;
  }

  groupMemberAdded(groupId: string, userId: string): Promise<void> {
    return this.emit(streams.group(this.orgId, groupId), [
      { type: 'GroupMemberAdded', data: { orgId: this.orgId, groupId, userId } },
    ]);
  }

  groupMemberRemoved(groupId: string, userId: string): Promise<void> {
    return this.emit(streams.group(this.orgId, groupId), [
      { type: 'GroupMemberRemoved', data: { orgId: this.orgId, groupId, userId } },
    ]);
  }

  groupDeleted(groupId: string): Promise<void> {
    return this.emit(streams.group(this.orgId, groupId), [
      { type: 'GroupDeleted', data: { orgId: this.orgId, groupId } },
    ]);
  }

  async workspaceCreated(ownerId: string): Promise<string> {
    const workspaceId = randomUUID();
    const { orgId } = this;
    await this.emit(streams.workspace(orgId, workspaceId), [
      {
        type: 'WorkspaceCreated',
        data: { orgId, workspaceId, slug: `ws-${workspaceId.slice(0, 8)}`, name: 'WS', createdBy: ownerId },
      },
      { type: 'WorkspaceMemberAdded', data: { orgId, workspaceId, userId: ownerId, role: 'owner' } },
    ]);
    return workspaceId;
  }

  workspaceMemberAdded(workspaceId: string, userId: string, role: WorkspaceRole): Promise<void> {
    return this.emit(streams.workspace(this.orgId, workspaceId), [
      { type: 'WorkspaceMemberAdded', data: { orgId: this.orgId, workspaceId, userId, role } },
    ]);
  }

  workspaceRoleChanged(
    workspaceId: string,
    userId: string,
    role: WorkspaceRole,
    previousRole: WorkspaceRole,
  ): Promise<void> {
    return this.emit(streams.workspace(this.orgId, workspaceId), [
      {
        type: 'MemberRoleChanged',
        data: { scope: 'workspace', orgId: this.orgId, workspaceId, userId, role, previousRole },
      },
    ]);
  }

  workspaceMemberRemoved(workspaceId: string, userId: string, previousRole: WorkspaceRole): Promise<void> {
    return this.emit(streams.workspace(this.orgId, workspaceId), [
      { type: 'WorkspaceMemberRemoved', data: { orgId: this.orgId, workspaceId, userId, previousRole } },
    ]);
  }

  workspaceArchived(workspaceId: string, archived = true): Promise<void> {
    return this.emit(streams.workspace(this.orgId, workspaceId), [
      {
        type: archived ? 'WorkspaceArchived' : 'WorkspaceUnarchived',
        data: { orgId: this.orgId, workspaceId },
      },
    ]);
  }

  /** A root (`workspaceId` optional) or, with `parentChatId`, a sub-chat in its root's workspace. */
  async chatCreated(
    ownerId: string,
    {
      workspaceId = null,
      parentChatId = null,
    }: { workspaceId?: string | null; parentChatId?: string | null } = {},
  ): Promise<string> {
    const chatId = randomUUID();
    const parent = parentChatId === null ? null : this.chats.get(parentChatId)!;
    const placement = parent ? { ...parent } : { rootChatId: chatId, workspaceId };
    this.chats.set(chatId, placement);
    await this.emit(streams.chat(this.orgId, chatId), [
      {
        type: 'ChatCreated',
        data: { orgId: this.orgId, chatId, title: 'Plans', ownerId, parentChatId, ...placement },
      },
    ]);
    return chatId;
  }

  shared(
    chatId: string,
    subject: ChatSubject,
    role: AclRole,
    previousRole: AclRole | null = null,
  ): Promise<void> {
    return this.emit(streams.chat(this.orgId, chatId), [
      { type: 'ChatShared', data: { orgId: this.orgId, chatId, subject, role, previousRole } },
    ]);
  }

  unshared(chatId: string, subject: ChatSubject, previousRole: AclRole = 'viewer'): Promise<void> {
    return this.emit(streams.chat(this.orgId, chatId), [
      { type: 'ChatUnshared', data: { orgId: this.orgId, chatId, subject, previousRole } },
    ]);
  }

  renamed(chatId: string, title: string): Promise<void> {
    return this.emit(streams.chat(this.orgId, chatId), [
      { type: 'ChatRenamed', data: { orgId: this.orgId, chatId, title, previousTitle: 'Plans' } },
    ]);
  }

  deleted(chatId: string): Promise<void> {
    return this.emit(streams.chat(this.orgId, chatId), [
      { type: 'ChatDeleted', data: { orgId: this.orgId, chatId } },
    ]);
  }

  /** The stored permissions of `userId` on `chatId`, `write_blocked` shown as a trailing `blocked`; [] for no row. */
  async access(userId: string, chatId: string): Promise<string[]> {
    const rows = await this.rows();
    return rows[`${userId}/${chatId}`] ?? [];
  }

  /** Every row of the org, as `"user/chat": [permissions…, "blocked"?]`. */
  rows(): Promise<Record<string, string[]>> {
    return readAccessRows(this.harness, this.orgId);
  }

  private async emit(stream: string, events: ReadonlyArray<{ type: string; data: object }>): Promise<void> {
    await this.harness.append(stream, events, this.orgId);
    await this.harness.project();
  }
}

/** Every `chat_access` row of the org, read as the API's role, as `"user/chat": [permissions…, "blocked"?]`. */
export function readAccessRows(
  harness: Pick<ScenarioHarness, 'read'>,
  orgId: string,
): Promise<Record<string, string[]>> {
  return harness.read({ orgId }, async (client) => {
    const { rows } = await client.query<{
      user_id: string;
      chat_id: string;
      permissions: string[];
      write_blocked: boolean;
    }>(`SELECT user_id, chat_id, permissions, write_blocked FROM ${CHAT_ACCESS_TABLE}`);
    return Object.fromEntries(
      rows.map((row) => [
        `${row.user_id}/${row.chat_id}`,
        [...row.permissions, ...(row.write_blocked ? ['blocked'] : [])],
      ]),
    );
  });
}
