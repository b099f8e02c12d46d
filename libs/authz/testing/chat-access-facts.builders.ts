import { eventRefFor } from '../../event-store/testing/event-refs.js';
import { type ChatAccessFacts } from '../access-facts.js';
import { type Reason } from '../evaluate.js';
import { type AclRole, type OrgRole, type Permission, type WorkspaceRole } from '../policy.js';

/**
 * Test support (imported by tests only, not exported from index.ts): the
 * vocabulary of the access cases. `given(ownsRoot, sharedDirectly('viewer'))`
 * builds ChatAccessFacts; `because.direct('viewer', READ)` the reason expected
 * of it. The base fact set is an org `member` with no grant at all on a root chat
 * someone else owns. Every fact has its own event, so a test can tell which
 * fact a reason came from.
 */
export const USER = 'user-u';
export const SOMEONE_ELSE = 'user-other';
export const ROOT = 'chat-root';
export const SUB_CHAT = 'chat-sub';
export const WORKSPACE = 'workspace-w';
export const GROUPS = ['group-a', 'group-b'] as const;
export type GroupId = (typeof GROUPS)[number];

export const EVENTS = {
  rootCreated: eventRefFor(1),
  joinedOrg: eventRefFor(2),
  sharedDirectly: eventRefFor(3),
  sharedWithGroup: { 'group-a': eventRefFor(4), 'group-b': eventRefFor(5) },
  joinedGroup: { 'group-a': eventRefFor(6), 'group-b': eventRefFor(7) },
  joinedWorkspace: eventRefFor(8),
  archived: eventRefFor(9),
} as const;

export type Tweak = (facts: ChatAccessFacts) => ChatAccessFacts;

function base(): ChatAccessFacts {
  return {
    userId: USER,
    org: {
      chatSharingDisabled: false,
      workspaceSharingDisabled: false,
      membership: { role: 'member', since: EVENTS.joinedOrg },
    },
    chat: { id: ROOT, rootId: ROOT, ownerId: SOMEONE_ELSE, deleted: false },
    root: { id: ROOT, ownerId: SOMEONE_ELSE, createdBy: EVENTS.rootCreated, deleted: false, acl: [] },
    groupMemberships: [],
    workspace: null,
  };
}

export const given = (...tweaks: Tweak[]): ChatAccessFacts =>
  tweaks.reduce((facts, tweak) => tweak(facts), base());

export const orgRole =
  (role: OrgRole): Tweak =>
  (f) => ({ ...f, org: { ...f.org, membership: { role, since: EVENTS.joinedOrg } } });
export const notOrgMember: Tweak = (f) => ({ ...f, org: { ...f.org, membership: null } });
export const ownsRoot: Tweak = (f) => ({ ...f, root: { ...f.root, ownerId: USER } });

export const sharedDirectly =
  (role: AclRole, userId = USER): Tweak =>
  (f) => ({
    ...f,
    root: {
      ...f.root,
      acl: [...f.root.acl, { subject: { kind: 'user', id: userId }, role, grantedBy: EVENTS.sharedDirectly }],
    },
  });
export const sharedWithGroup =
  (group: GroupId, role: AclRole): Tweak =>
  (f) => ({
    ...f,
    root: {
      ...f.root,
      acl: [
        ...f.root.acl,
        { subject: { kind: 'group', id: group }, role, grantedBy: EVENTS.sharedWithGroup[group] },
      ],
    },
  });
export const inGroup =
  (group: GroupId): Tweak =>
  (f) => ({
    ...f,
    groupMemberships: [...f.groupMemberships, { groupId: group, since: EVENTS.joinedGroup[group] }],
  });
/** The root is shared with a group, and the user belongs to it. */
export const sharedViaGroup =
  (group: GroupId, role: AclRole): Tweak =>
  (f) =>
    inGroup(group)(sharedWithGroup(group, role)(f));

/** The root is bound to the workspace; `role` is the user's membership of it (null: none). */
export const inWorkspace =
  (role: WorkspaceRole | null): Tweak =>
  (f) => ({
    ...f,
    workspace: {
      id: WORKSPACE,
      archivedBy: f.workspace?.archivedBy ?? null,
      membership: role === null ? null : { role, since: EVENTS.joinedWorkspace },
    },
  });
export const archived: Tweak = (f) => ({
  ...f,
  workspace: { id: WORKSPACE, membership: null, ...f.workspace, archivedBy: EVENTS.archived },
});

export const chatSharingDisabled =
  (disabled = true): Tweak =>
  (f) => ({ ...f, org: { ...f.org, chatSharingDisabled: disabled } });
export const workspaceSharingDisabled =
  (disabled = true): Tweak =>
  (f) => ({ ...f, org: { ...f.org, workspaceSharingDisabled: disabled } });

/** Ask about a sub-chat of the root, created by `creator`. */
export const askAboutSubChat =
  (creator = SOMEONE_ELSE): Tweak =>
  (f) => ({ ...f, chat: { id: SUB_CHAT, rootId: f.root.id, ownerId: creator, deleted: false } });
export const chatDeleted: Tweak = (f) => ({ ...f, chat: { ...f.chat, deleted: true } });
export const rootDeleted: Tweak = (f) => ({ ...f, root: { ...f.root, deleted: true } });

/** The reasons each builder's fact should produce, with the permissions expected of it. */
export const because = {
  owner: (permissions: Permission[]): Reason => ({ kind: 'owner', permissions, event: EVENTS.rootCreated }),
  orgRole: (role: OrgRole, permissions: Permission[]): Reason => ({
    kind: 'orgRole',
    role,
    permissions,
    event: EVENTS.joinedOrg,
  }),
  direct: (role: AclRole, permissions: Permission[]): Reason => ({
    kind: 'direct',
    role,
    permissions,
    event: EVENTS.sharedDirectly,
  }),
  group: (group: GroupId, role: AclRole, permissions: Permission[]): Reason => ({
    kind: 'group',
    role,
    subjectId: group,
    permissions,
    event: EVENTS.sharedWithGroup[group],
    membership: EVENTS.joinedGroup[group],
  }),
  workspace: (role: WorkspaceRole, permissions: Permission[]): Reason => ({
    kind: 'workspace',
    role,
    workspaceId: WORKSPACE,
    permissions,
    event: EVENTS.joinedWorkspace,
  }),
};

/** One case of DESIGN.md §5 "Effective access". Permissions are spelled out, never taken from the policy. */
export interface AccessCase {
  readonly name: string;
  readonly given: Tweak[];
  readonly permissions: Permission[];
  readonly reasons: Reason[];
  /** Expected when the root's workspace is archived. */
  readonly writeBlocked?: boolean;
}

export const ALL: Permission[] = ['read', 'write', 'share', 'delete'];
export const READ: Permission[] = ['read'];
export const READ_WRITE: Permission[] = ['read', 'write'];
export const NOTHING: Permission[] = [];
