import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ACL_ROLES, ORG_ROLES, WORKSPACE_ROLES } from '../../libs/authz/policy.js';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { chatAccessProjection } from './chat-access.projection.js';
import { AccessWorld, appendLog } from './testing/access-world.js';
import { readAccessRows } from './testing/access-scenario.js';

/**
 * The projection against an independent oracle: random command sequences
 * over one org, run through the real deciders (so only events the domain
 * allows reach the log), projected; after every accepted command, for every
 * (user, chat) the stored row must equal libs/authz on the facts the command
 * side's loader builds from the deciders' own folded states, and there must
 * be no other row. An event mapped to too narrow a scope leaves a stale row
 * somewhere and fails here.
 */
const RUNS = Number(process.env.CHAT_ACCESS_RUNS ?? 100);
const GROUPS = 2;

type Action =
  | { kind: 'setOrgRole'; actor: number; target: number; role: (typeof ORG_ROLES)[number] }
  | { kind: 'removeOrgMember'; actor: number; target: number }
  | { kind: 'settings'; actor: number; chatSharingDisabled?: boolean; workspaceSharingDisabled?: boolean }
  | { kind: 'groupMember'; actor: number; group: number; target: number; add: boolean }
  | { kind: 'deleteGroup'; actor: number; group: number }
  | {
      kind: 'workspaceMember';
      actor: number;
      workspace: number;
      target: number;
      role: (typeof WORKSPACE_ROLES)[number] | null;
    }
  | { kind: 'archive'; actor: number; workspace: number; archived: boolean }
  | { kind: 'createChat'; actor: number; chat: number; workspace: number | null; parent: number | null }
  | {
      kind: 'share';
      actor: number;
      chat: number;
      subject: 'user' | 'group';
      target: number;
      role: (typeof ACL_ROLES)[number] | '';
    }
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

const scenario = fc.record({
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
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

let harness: ProjectionHarness;
beforeAll(async () => {
  harness = await startProjectionHarness([chatAccessProjection]);
});
afterAll(async () => {
  await harness.close();
});

/** How often each event type reached the log over all runs: the generator must reach them all. */
const seen = new Map<string, number>();

async function runScenario(input: Scenario): Promise<void> {
  const world = new AccessWorld();
  const users = Array.from({ length: input.users }, () => randomUUID());
  const groups = Array.from({ length: GROUPS }, () => randomUUID());
  const workspaces = Array.from({ length: input.workspaces }, () => randomUUID());
  const chats = Array.from({ length: input.chats }, () => randomUUID());
  const at = <T>(list: readonly T[], i: number) => list[i % list.length]!;
  /** The first of the users, from `start` on, whose command the domain accepts. */
  const byAnyone = (start: number, attempt: (actorId: string) => boolean) => {
    for (let k = 0; k < users.length; k += 1) if (attempt(at(users, start + k))) return;
  };

  let projected = 0;
  const check = async () => {
    if (world.log.length === projected) return;
    await appendLog(harness, world.orgId, world.log, projected);
    projected = world.log.length;
    await harness.project();
    const expected: Record<string, string[]> = {};
    for (const userId of users) {
      for (const chatId of world.chatIds) {
        const access = world.expected(userId, chatId);
        if (access) {
          expected[`${userId}/${chatId}`] = [
            ...access.permissions,
            ...(access.writeBlocked ? ['blocked'] : []),
          ];
        }
      }
    }
    expect(await readAccessRows(harness, world.orgId)).toEqual(expected);
  };

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
  for (const { event } of world.log) seen.set(event.type, (seen.get(event.type) ?? 0) + 1);
}

describe('chat-access against libs/authz on the deciders’ states', () => {
  it(`agrees after every command of ${RUNS} random histories`, async () => {
    await fc.assert(fc.asyncProperty(scenario, runScenario), { numRuns: RUNS });
    // The histories reached every event that changes access.
    for (const type of [
      'OrgMemberAdded',
      'MemberRoleChanged',
      'OrgMemberRemoved',
      'OrgSettingsChanged',
      'GroupMemberAdded',
      'GroupMemberRemoved',
      'GroupDeleted',
      'WorkspaceMemberAdded',
      'WorkspaceMemberRemoved',
      'WorkspaceArchived',
      'WorkspaceUnarchived',
      'ChatCreated',
      'ChatShared',
      'ChatUnshared',
      'ChatDeleted',
    ]) {
      expect({ type, reached: (seen.get(type) ?? 0) > 0 }).toEqual({ type, reached: true });
    }
  }, 600_000);
});
