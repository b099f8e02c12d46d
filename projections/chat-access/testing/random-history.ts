import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  ACL_ROLES,
  ORG_ROLES,
  type OrgRole,
  WORKSPACE_ROLES,
  type WorkspaceRole,
} from '../../../libs/authz/policy.js';
import { type AclChange } from '../../../libs/domain/chat/chat.commands.js';
import { assertNever } from '../../../libs/domain/kernel/index.js';
import { type AccessWorld } from './access-world.js';

/**
 * Random histories of one org for property tests (test support, imported by
 * tests only): command sequences run through the real deciders of an
 * {@link AccessWorld}, so only events the domain allows reach its log.
 */
const GROUPS = 2;

/**
 * One step of a random history of one org, for the property tests here and
 * the query-side oracle (test/read-side/access-oracle.test.ts, which adds
 * the org). Numbers pick a user, group, workspace or chat of the history.
 */
export type Action =
  | { kind: 'setOrgRole'; actor: number; target: number; role: OrgRole }
  | { kind: 'removeOrgMember'; actor: number; target: number }
  | { kind: 'settings'; actor: number; chatSharingDisabled?: boolean; workspaceSharingDisabled?: boolean }
  | { kind: 'createGroup'; actor: number }
  | { kind: 'groupMember'; actor: number; group: number; target: number; add: boolean }
  | { kind: 'deleteGroup'; actor: number; group: number }
  | { kind: 'createWorkspace'; actor: number }
  /** role null removes the member. */
  | { kind: 'workspaceMember'; actor: number; workspace: number; target: number; role: WorkspaceRole | null }
  | { kind: 'archive'; actor: number; workspace: number; archived: boolean }
  /** `chat` is the slot of a history whose chat ids are fixed up front; the oracle's API picks its own. */
  | { kind: 'createChat'; actor: number; chat: number; workspace: number | null; parent: number | null }
  | { kind: 'share'; actor: number; chat: number; subject: 'user' | 'group'; target: number; role: AclChange }
  | { kind: 'deleteChat'; actor: number; chat: number };

const index = fc.nat({ max: 9 });
const createChat = fc.record({
  kind: fc.constant('createChat' as const),
  actor: index,
  chat: index,
  workspace: fc.option(index, { nil: null }),
  parent: fc.option(index, { nil: null, freq: 2 }),
});
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('setOrgRole' as const),
      actor: index,
      target: index,
      role: fc.constantFrom(...ORG_ROLES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('removeOrgMember' as const), actor: index, target: index }),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        kind: fc.constant('settings' as const),
        actor: index,
        // Mostly on: while chat sharing is disabled every ACL change is refused.
        chatSharingDisabled: fc.constantFrom(false, false, true),
        workspaceSharingDisabled: fc.boolean(),
      },
      { requiredKeys: ['kind', 'actor'] },
    ),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('groupMember' as const),
      actor: index,
      group: index,
      target: index,
      add: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deleteGroup' as const), actor: index, group: index }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('workspaceMember' as const),
      actor: index,
      workspace: index,
      target: fc.nat({ max: 3 }),
      role: fc.option(fc.constantFrom(...WORKSPACE_ROLES), { nil: null, freq: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('archive' as const),
      actor: index,
      workspace: index,
      archived: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: createChat },
  {
    weight: 14,
    arbitrary: fc.record({
      kind: fc.constant('share' as const),
      actor: index,
      chat: index,
      subject: fc.constantFrom('user' as const, 'group' as const),
      target: fc.nat({ max: 2 }),
      role: fc.constantFrom(...ACL_ROLES, '' as const, '' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deleteChat' as const), actor: index, chat: index }),
  },
);

export const scenario = fc.record({
  users: fc.integer({ min: 3, max: 5 }),
  workspaces: fc.integer({ min: 1, max: 2 }),
  chats: fc.integer({ min: 3, max: 6 }),
  roles: fc.array(
    fc.constantFrom<(typeof ORG_ROLES)[number]>('member', 'member', 'admin', 'auditor', 'owner'),
    {
      minLength: 4,
      maxLength: 4,
    },
  ),
  prelude: fc.array(createChat, { minLength: 6, maxLength: 6 }),
  groupMembers: fc.array(fc.record({ group: index, target: index }), { minLength: 1, maxLength: 6 }),
  actions: fc.array(action, { minLength: 15, maxLength: 40 }),
});
export type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

export interface ScenarioIds {
  readonly users: readonly string[];
  readonly groups: readonly string[];
  readonly workspaces: readonly string[];
  readonly chats: readonly string[];
}

/**
 * Plays a scenario on `world`: the org, its members, groups and workspaces,
 * then the prelude's chats and the actions, calling `checkpoint` after the
 * setup and after each step (whether the domain accepted it or not).
 */
export async function playScenario(
  input: Scenario,
  world: AccessWorld,
  checkpoint: (ids: ScenarioIds) => Promise<void>,
): Promise<ScenarioIds> {
  const users = Array.from({ length: input.users }, () => randomUUID());
  const groups = Array.from({ length: GROUPS }, () => randomUUID());
  const workspaces = Array.from({ length: input.workspaces }, () => randomUUID());
  const chats = Array.from({ length: input.chats }, () => randomUUID());
  const at = <T>(list: readonly T[], i: number) => list[i % list.length]!;
  /** The first of the users, from `start` on, whose command the domain accepts. */
  const byAnyone = (start: number, attempt: (actorId: string) => boolean) => {
    for (let k = 0; k < users.length; k += 1) if (attempt(at(users, start + k))) return;
  };

  const ids: ScenarioIds = { users, groups, workspaces, chats };
  const check = () => checkpoint(ids);

  const run = (step: Action) => {
    switch (step.kind) {
      case 'setOrgRole':
        return byAnyone(step.actor, (actorId) =>
          world.organization({
            type: 'SetOrgMemberRole',
            actorId,
            userId: at(users, step.target),
            role: step.role,
            userIsRegistered: true,
          }),
        );
      case 'removeOrgMember':
        return byAnyone(step.actor, (actorId) =>
          world.organization({ type: 'RemoveOrgMember', actorId, userId: at(users, step.target) }),
        );
      case 'settings': {
        const { kind: _kind, actor, ...settings } = step;
        return byAnyone(actor, (actorId) =>
          world.organization({ type: 'ChangeOrgSettings', actorId, ...settings }),
        );
      }
      case 'groupMember':
        return byAnyone(step.actor, (actorId) =>
          world.group(at(groups, step.group), {
            type: step.add ? 'AddGroupMember' : 'RemoveGroupMember',
            actorId,
            userId: at(users, step.target),
          }),
        );
      case 'deleteGroup':
        return byAnyone(step.actor, (actorId) =>
          world.group(at(groups, step.group), { type: 'DeleteGroup', actorId }),
        );
      case 'workspaceMember':
        return byAnyone(step.actor, (actorId) =>
          world.workspace(
            at(workspaces, step.workspace),
            step.role === null
              ? { type: 'RemoveWorkspaceMember', actorId, userId: at(users, step.target) }
              : { type: 'SetWorkspaceMemberRole', actorId, userId: at(users, step.target), role: step.role },
          ),
        );
      case 'archive':
        return byAnyone(step.actor, (actorId) =>
          world.workspace(at(workspaces, step.workspace), {
            type: step.archived ? 'ArchiveWorkspace' : 'UnarchiveWorkspace',
            actorId,
          }),
        );
      case 'createChat': {
        const chatId = at(chats, step.chat);
        const parent = step.parent === null ? null : at(chats, step.parent);
        return byAnyone(step.actor, (actorId) =>
          world.chat(chatId, {
            type: 'CreateChat',
            actorId,
            chatId,
            title: 'Plans',
            ...(parent !== null && parent !== chatId
              ? { parentChatId: parent }
              : step.workspace !== null
                ? { workspaceId: at(workspaces, step.workspace) }
                : {}),
          }),
        );
      }
      case 'share': {
        const subjectId = step.subject === 'user' ? at(users, step.target) : at(groups, step.target);
        const change = { users: {}, groups: {}, [`${step.subject}s`]: { [subjectId]: step.role } };
        return byAnyone(step.actor, (actorId) =>
          world.chat(at(chats, step.chat), { type: 'ChangeChatAcl', actorId, change }),
        );
      }
      case 'deleteChat':
        return byAnyone(step.actor, (actorId) =>
          world.chat(at(chats, step.chat), { type: 'DeleteChat', actorId }),
        );
      case 'createGroup':
      case 'createWorkspace':
        // Never drawn here: this history creates its groups and workspaces up front, under fixed ids.
        return;
      default:
        return assertNever(step);
    }
  };

  world.organization({
    type: 'CreateOrganization',
    orgId: world.orgId,
    slug: 'acme',
    name: 'Acme',
    actorId: users[0]!,
  });
  for (let i = 1; i < users.length; i += 1)
    run({ kind: 'setOrgRole', actor: 0, target: i, role: input.roles[i - 1]! });
  for (const groupId of groups)
    world.group(groupId, { type: 'CreateGroup', actorId: users[0]!, groupId, name: 'G' });
  for (const { group, target } of input.groupMembers) {
    run({ kind: 'groupMember', actor: 0, group, target, add: true });
  }
  for (const [i, workspaceId] of workspaces.entries()) {
    byAnyone(i, (actorId) =>
      world.workspace(workspaceId, {
        type: 'CreateWorkspace',
        actorId,
        workspaceId,
        slug: `ws-${i}`,
        name: 'W',
      }),
    );
  }
  await check();
  for (const [i, step] of input.prelude.slice(0, input.chats).entries()) {
    run({ ...step, chat: i });
    await check();
  }
  for (const step of input.actions) {
    run(step);
    await check();
  }
  return ids;
}
