import { type AclRole } from '../../../authz/policy.js';
import { groupDecider } from '../../group/group.decider.js';
import { type GroupEvent } from '../../group/group.events.js';
import { type GroupState } from '../../group/group.state.js';
import { eventRefFor } from '../../../event-store/testing/event-refs.js';
import { type DomainEvent, fold, type Recorded } from '../../kernel/index.js';
import { type ActiveOrganization } from '../../organization/organization.state.js';
import { workspaceDecider } from '../../workspace/workspace.decider.js';
import { type WorkspaceEvent } from '../../workspace/workspace.events.js';
import { type WorkspaceState } from '../../workspace/workspace.state.js';
import { created as workspaceCreated, org, orgId } from '../../workspace/testing/workspace.fixtures.js';
import { type AclChange, type ChatCommand, type ChatTree } from '../chat.commands.js';
import { chatDecider } from '../chat.decider.js';
import { type ChatEvent, type ChatSubject } from '../chat.events.js';
import { type ChatState } from '../chat.state.js';

/**
 * Test support (imported by tests only): the workspace fixtures' org and
 * people (olga owner, adam admin, alice/bob/carol members, audrey auditor,
 * stranger in no org), a chat tree in it, groups, and the commands. States
 * the handler would load from other streams are folded here with their
 * real deciders, so they are exactly what a handler would pass.
 */
export {
  adam,
  alice,
  archived,
  audrey,
  bob,
  carol,
  member as workspaceMember,
  olga,
  org,
  orgId,
  orgWith,
  otherOrgId,
  stranger,
  unarchived,
  workspaceId,
} from '../../workspace/testing/workspace.fixtures.js';

export const rootId = 'c4a70000-0000-4000-8000-000000000001';
export const subId = 'c4a70000-0000-4000-8000-000000000002';
export const subSubId = 'c4a70000-0000-4000-8000-000000000003';
export const newChatId = 'c4a70000-0000-4000-8000-000000000009';
export const messageId = 'e55a9e00-0000-4000-8000-000000000001';
export const designers = '6a000000-0000-4000-8000-000000000001';
export const engineers = '6a000000-0000-4000-8000-000000000002';

/** Refs of events folded here: each stream its own made-up log, apart from the decider spec's (log 0). */
function recorded<Event extends DomainEvent>(log: number, events: Event[]): Array<Recorded<Event>> {
  return events.map((event, i) => ({ ...event, ref: eventRefFor(i + 1, log) }));
}

export const user = (id: string): ChatSubject => ({ kind: 'user', id });
export const group = (id: string): ChatSubject => ({ kind: 'group', id });

export function chatCreated(
  chatId: string,
  ownerId: string,
  {
    workspaceId = null as string | null,
    parentChatId = null as string | null,
    rootChatId = chatId,
    title = 'Plans',
    inOrg = orgId,
  } = {},
): ChatEvent {
  return {
    type: 'ChatCreated',
    data: { orgId: inOrg, chatId, title, ownerId, workspaceId, parentChatId, rootChatId },
  };
}
/** The root chat, owned by `ownerId`, in the workspace or in none. */
export const rootCreated = (ownerId: string, workspaceId: string | null = null) =>
  chatCreated(rootId, ownerId, { workspaceId });
/** A sub-chat of the root (or of `parentChatId`), in the root's workspace. */
export const subCreated = (
  ownerId: string,
  { chatId = subId, parentChatId = rootId, workspaceId = null as string | null } = {},
) => chatCreated(chatId, ownerId, { workspaceId, parentChatId, rootChatId: rootId, title: 'Details' });

export const shared = (
  subject: ChatSubject,
  role: AclRole,
  previousRole: AclRole | null = null,
  chatId = rootId,
): ChatEvent => ({ type: 'ChatShared', data: { orgId, chatId, subject, role, previousRole } });
export const unshared = (subject: ChatSubject, previousRole: AclRole, chatId = rootId): ChatEvent => ({
  type: 'ChatUnshared',
  data: { orgId, chatId, subject, previousRole },
});
export const chatDeleted = (chatId = rootId): ChatEvent => ({ type: 'ChatDeleted', data: { orgId, chatId } });
export const messagePosted = (authorId: string, body = 'Hello', chatId = rootId): ChatEvent => ({
  type: 'ChatMessagePosted',
  data: { orgId, chatId, messageId, authorId, body },
});

export const chatState = (...events: ChatEvent[]): ChatState => fold(chatDecider, recorded(1, events));

/** The workspace alice created (she owns it), after `events`. */
export const workspaceState = (...events: WorkspaceEvent[]): WorkspaceState =>
  fold(workspaceDecider, recorded(2, [...workspaceCreated, ...events]));

/** A group of the org with these members, optionally deleted since. */
export function groupState(
  groupId: string,
  members: string[],
  { deleted = false, inOrg = orgId } = {},
): GroupState {
  const events: GroupEvent[] = [
    { type: 'GroupCreated', data: { orgId: inOrg, groupId, name: groupId.slice(0, 8) } },
    ...members.map((userId): GroupEvent => ({
      type: 'GroupMemberAdded',
      data: { orgId: inOrg, groupId, userId },
    })),
    ...(deleted ? [{ type: 'GroupDeleted', data: { orgId: inOrg, groupId } } as GroupEvent] : []),
  ];
  return fold(groupDecider, recorded(3, events));
}
export const groupsOf = (...groups: GroupState[]): Record<string, GroupState> =>
  Object.fromEntries(groups.map((g) => [g.status === 'absent' ? 'absent' : g.groupId, g]));

export const withChatSharingDisabled = (inOrg: ActiveOrganization, disabled = true): ActiveOrganization => ({
  ...inOrg,
  settings: { ...inOrg.settings, chatSharingDisabled: disabled },
});

/** What the handler loads beside the chat's stream; defaults: a root outside any workspace, no groups. */
export interface Facts {
  readonly org?: ActiveOrganization;
  readonly root?: ChatState | null;
  readonly ancestors?: ChatState[];
  readonly workspace?: WorkspaceState | null;
  readonly groups?: Record<string, GroupState>;
}
const onChat = (facts: Facts): { org: ActiveOrganization; workspace: WorkspaceState | null } & ChatTree => ({
  org: facts.org ?? org,
  root: facts.root ?? null,
  ancestors: facts.ancestors ?? [],
  workspace: facts.workspace ?? null,
  groups: facts.groups ?? {},
});

export const rename = (actorId: string, title: string, facts: Facts = {}): ChatCommand => ({
  type: 'RenameChat',
  actorId,
  title,
  ...onChat(facts),
});
export const changeAcl = (
  actorId: string,
  change: { users?: Record<string, AclChange>; groups?: Record<string, AclChange> },
  facts: Facts = {},
): ChatCommand => ({
  type: 'ChangeChatAcl',
  actorId,
  change: { users: change.users ?? {}, groups: change.groups ?? {} },
  ...onChat(facts),
});
export const deleteChat = (actorId: string, facts: Facts = {}): ChatCommand => ({
  type: 'DeleteChat',
  actorId,
  ...onChat(facts),
});
export const post = (actorId: string, body = 'Hello', facts: Facts = {}): ChatCommand => ({
  type: 'PostChatMessage',
  actorId,
  messageId,
  body,
  ...onChat(facts),
});

/** A root chat, in the workspace when `workspaceId` is given (then `workspace` is what the handler loaded). */
export const createRoot = (
  actorId: string,
  {
    title = 'Plans',
    workspaceId = undefined as string | undefined,
    workspace = null as WorkspaceState | null,
    inOrg = org,
  } = {},
): ChatCommand => ({
  type: 'CreateChat',
  actorId,
  org: inOrg,
  chatId: newChatId,
  title,
  ...(workspaceId === undefined ? {} : { workspaceId }),
  workspace,
  parent: null,
});

/** A sub-chat of `parent` (a state; absent for a parent that does not exist). */
export const createSub = (
  actorId: string,
  parent: ChatState,
  {
    parentChatId = rootId,
    root = null as ChatState | null,
    ancestors = [] as ChatState[],
    groups = {} as Record<string, GroupState>,
    workspace = null as WorkspaceState | null,
    workspaceId = undefined as string | undefined,
    inOrg = org,
  } = {},
): ChatCommand => ({
  type: 'CreateChat',
  actorId,
  org: inOrg,
  chatId: newChatId,
  title: 'Details',
  parentChatId,
  ...(workspaceId === undefined ? {} : { workspaceId }),
  workspace,
  parent: { chat: parent, root, ancestors, groups },
});
