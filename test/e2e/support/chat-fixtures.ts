import { randomUUID } from 'node:crypto';
import { type OrgRole, type WorkspaceRole } from '../../../libs/authz/policy.js';
import { AggregateStore, executeCommand } from '../../../libs/command-runtime/index.js';
import { groupDecider } from '../../../libs/domain/group/group.decider.js';
import { type GroupCommand } from '../../../libs/domain/group/group.commands.js';
import { type OrganizationCommand } from '../../../libs/domain/organization/organization.commands.js';
import { organizationDecider } from '../../../libs/domain/organization/organization.decider.js';
import { type ActiveOrganization } from '../../../libs/domain/organization/organization.state.js';
import { streams } from '../../../libs/domain/streams.js';
import { upcasters } from '../../../libs/domain/upcasting/upcaster-registry.js';
import { type WorkspaceCommand } from '../../../libs/domain/workspace/workspace.commands.js';
import { workspaceDecider } from '../../../libs/domain/workspace/workspace.decider.js';
import { type ApiAnswer, type E2eApp, expectProblem } from './e2e-app.js';
import { contextOf, createOrg } from './org-fixtures.js';

export interface TestUser {
  readonly id: string;
  readonly token: string;
}

type WithoutActorAndOrg<C> = C extends unknown ? Omit<C, 'actorId' | 'org'> : never;

/**
 * An org and its people for the chat routes' e2e tests. Orgs, members,
 * groups and workspaces are appended through the command runtime, with the
 * real deciders and stream names, as their routes' handlers would: these
 * tests do not depend on those routes' HTTP shape. The chat routes are
 * called over HTTP.
 *
 * The cast: Olga owns the org, Adam administers it, Alice, Bob, Carol and
 * Dave are members, Audrey audits; Eve owns another org (`elsewhere`).
 */
export interface ChatWorld {
  readonly olga: TestUser;
  readonly adam: TestUser;
  readonly alice: TestUser;
  readonly bob: TestUser;
  readonly carol: TestUser;
  readonly dave: TestUser;
  readonly audrey: TestUser;
  readonly eve: TestUser;
  readonly orgId: string;
  readonly slug: string;
  /** Eve's org. */
  readonly elsewhere: string;
  setOrgRole(userId: string, role: OrgRole): Promise<void>;
  removeFromOrg(userId: string): Promise<void>;
  setChatSharingDisabled(disabled: boolean): Promise<void>;
  /** A group of the org (created by Olga) with these members; returns its id. */
  createGroup(memberIds: readonly string[], orgId?: string): Promise<string>;
  deleteGroup(groupId: string): Promise<void>;
  /** A workspace created by `owner` (Alice by default), with these members; returns its id. */
  createWorkspace(members?: Record<string, WorkspaceRole>, owner?: TestUser): Promise<string>;
  archiveWorkspace(workspaceId: string): Promise<void>;
  /** `/v1/orgs/{orgId}/chats`, or one chat's path under it. */
  path(chatId?: string, org?: string): string;
  createChat(user: TestUser, body: Record<string, unknown>): Promise<ApiAnswer>;
  /** Creates a chat as `user` (expecting 201) and returns its id. */
  chat(user: TestUser, body?: Record<string, unknown>): Promise<string>;
  post(user: TestUser, chatId: string, body?: unknown): Promise<ApiAnswer>;
  rename(user: TestUser, chatId: string, title?: unknown): Promise<ApiAnswer>;
  remove(user: TestUser, chatId: string): Promise<ApiAnswer>;
  changeAcl(user: TestUser, chatId: string, body: unknown): Promise<ApiAnswer>;
  /** Shares the chat (as its owner Alice, by default), expecting 200. */
  share(
    chatId: string,
    users: Record<string, string>,
    groups?: Record<string, string>,
    by?: TestUser,
  ): Promise<void>;
}

let counter = 0;

export async function chatWorld(app: E2eApp): Promise<ChatWorld> {
  const names = ['olga', 'adam', 'alice', 'bob', 'carol', 'dave', 'audrey', 'eve'] as const;
  const [olga, adam, alice, bob, carol, dave, audrey, eve] = (await Promise.all(
    names.map((name) => app.registerUser(name)),
  )) as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
  const aggregates = new AggregateStore(app.eventStore, upcasters);
  const org = await createOrg(app, olga.id);
  const elsewhere = await createOrg(app, eve.id);
  const runOrg = (command: OrganizationCommand, orgId = org.orgId) =>
    executeCommand(aggregates, {
      decider: organizationDecider,
      streamName: streams.organization(orgId),
      command,
      context: contextOf(command.actorId),
      orgId,
    });
  const activeOrg = async (orgId: string) =>
    (await aggregates.load(organizationDecider, streams.organization(orgId))).state as ActiveOrganization;
  const runGroup = async (groupId: string, request: WithoutActorAndOrg<GroupCommand>, orgId = org.orgId) => {
    const actorId = orgId === org.orgId ? olga.id : eve.id;
    const command = { ...request, actorId, org: await activeOrg(orgId) } as GroupCommand;
    await executeCommand(aggregates, {
      decider: groupDecider,
      streamName: streams.group(orgId, groupId),
      command,
      context: contextOf(actorId),
      orgId,
    });
  };
  const runWorkspace = async (
    workspaceId: string,
    actorId: string,
    request: WithoutActorAndOrg<WorkspaceCommand>,
  ) => {
    const command = { ...request, actorId, org: await activeOrg(org.orgId) } as WorkspaceCommand;
    await executeCommand(aggregates, {
      decider: workspaceDecider,
      streamName: streams.workspace(org.orgId, workspaceId),
      command,
      context: contextOf(actorId),
      orgId: org.orgId,
    });
  };
  const roles: Array<[TestUser, OrgRole]> = [
    [adam, 'admin'],
    [alice, 'member'],
    [bob, 'member'],
    [carol, 'member'],
    [dave, 'member'],
    [audrey, 'auditor'],
  ];
  for (const [user, role] of roles) {
    await runOrg({
      type: 'SetOrgMemberRole',
      actorId: olga.id,
      userId: user.id,
      role,
      userIsRegistered: true,
    });
  }

  const path = (chatId?: string, at = org.orgId) => `/v1/orgs/${at}/chats${chatId ? `/${chatId}` : ''}`;
  const world: ChatWorld = {
    ...{ olga, adam, alice, bob, carol, dave, audrey, eve },
    orgId: org.orgId,
    slug: org.slug,
    elsewhere: elsewhere.orgId,
    async setOrgRole(userId, role) {
      await runOrg({ type: 'SetOrgMemberRole', actorId: olga.id, userId, role, userIsRegistered: true });
    },
    async removeFromOrg(userId) {
      await runOrg({ type: 'RemoveOrgMember', actorId: olga.id, userId });
    },
    async setChatSharingDisabled(chatSharingDisabled) {
      await runOrg({ type: 'ChangeOrgSettings', actorId: olga.id, chatSharingDisabled });
    },
    async createGroup(memberIds, orgId = org.orgId) {
      const groupId = randomUUID();
      await runGroup(groupId, { type: 'CreateGroup', groupId, name: `group ${++counter}` }, orgId);
      for (const userId of memberIds) await runGroup(groupId, { type: 'AddGroupMember', userId }, orgId);
      return groupId;
    },
    async deleteGroup(groupId) {
      await runGroup(groupId, { type: 'DeleteGroup' });
    },
    async createWorkspace(members = {}, owner = alice) {
      const workspaceId = randomUUID();
      const slug = `ws-${++counter}`;
      await runWorkspace(workspaceId, owner.id, { type: 'CreateWorkspace', workspaceId, slug, name: slug });
      for (const [userId, role] of Object.entries(members)) {
        await runWorkspace(workspaceId, owner.id, { type: 'SetWorkspaceMemberRole', userId, role });
      }
      return workspaceId;
    },
    async archiveWorkspace(workspaceId) {
      await runWorkspace(workspaceId, olga.id, { type: 'ArchiveWorkspace' });
    },
    path,
    createChat: (user, body) => app.request('POST', path(), { token: user.token, body }),
    async chat(user, body = {}) {
      const answer = await world.createChat(user, { title: 'Plans', ...body });
      if (answer.status !== 201) throw new Error(`creating a chat: ${JSON.stringify(answer.body)}`);
      return answer.body.chat.id as string;
    },
    post: (user, chatId, body = { body: 'hello' }) =>
      app.request('POST', `${path(chatId)}/messages`, { token: user.token, body }),
    rename: (user, chatId, title = 'Renamed') =>
      app.request('PATCH', path(chatId), { token: user.token, body: { title } }),
    remove: (user, chatId) => app.request('DELETE', path(chatId), { token: user.token }),
    changeAcl: (user, chatId, body) =>
      app.request('PATCH', `${path(chatId)}/acl`, { token: user.token, body }),
    async share(chatId, users, groups = {}, by = alice) {
      const answer = await world.changeAcl(by, chatId, { users, groups });
      if (answer.status !== 200) throw new Error(`sharing a chat: ${JSON.stringify(answer.body)}`);
    },
  };
  return world;
}

/** Expects the problem answer, and that the log did not grow meanwhile (a refusal appends nothing). */
export async function expectRefused(
  app: E2eApp,
  act: () => Promise<ApiAnswer>,
  status: number,
  fields?: string[],
): Promise<ApiAnswer> {
  const before = (await app.allEvents()).length;
  const answer = expectProblem(await act(), status, fields);
  expect((await app.allEvents()).length).toBe(before);
  return answer;
}

/** Events of one stream, oldest first. */
export async function eventsOf(app: E2eApp, streamName: string) {
  return (await app.allEvents()).filter((event) => event.streamName === streamName);
}

export const RANDOM_ID = '00000000-0000-4000-8000-00000000c4a7';
