/**
 * DESIGN.md §5 rules 4 and 5 as cases (see chat-access.cases.ts): ACL entries,
 * workspace memberships, and the org switches that make them inert.
 */
import {
  ALL,
  type AccessCase,
  archived,
  askAboutSubChat,
  because,
  chatSharingDisabled,
  inGroup,
  inWorkspace,
  NOTHING,
  orgRole,
  ownsRoot,
  READ,
  READ_WRITE,
  sharedDirectly,
  sharedViaGroup,
  sharedWithGroup,
  workspaceSharingDisabled,
} from './chat-access-facts.builders.js';
import { type Reason } from '../evaluate.js';
import { type AclRole, type Permission, type WorkspaceRole } from '../policy.js';

export const ACL_ROLE_CASES: Array<{ role: AclRole; permissions: Permission[] }> = [
  { role: 'viewer', permissions: READ },
  { role: 'editor', permissions: READ_WRITE },
];
export const RULE_4_CASES: AccessCase[] = [
  ...ACL_ROLE_CASES.flatMap(({ role, permissions }): AccessCase[] => [
    {
      name: `direct ${role}`,
      given: [sharedDirectly(role)],
      permissions,
      reasons: [because.direct(role, permissions)],
    },
    {
      name: `group ${role}`,
      given: [sharedViaGroup('group-a', role)],
      permissions,
      reasons: [because.group('group-a', role, permissions)],
    },
    {
      name: `direct ${role} on the root reaches its sub-chats`,
      given: [sharedDirectly(role), askAboutSubChat()],
      permissions,
      reasons: [because.direct(role, permissions)],
    },
    {
      name: `group ${role} on the root reaches its sub-chats`,
      given: [sharedViaGroup('group-b', role), askAboutSubChat()],
      permissions,
      reasons: [because.group('group-b', role, permissions)],
    },
  ]),
  {
    name: 'group editor beats direct viewer; both are reasons',
    given: [sharedDirectly('viewer'), sharedViaGroup('group-a', 'editor')],
    permissions: READ_WRITE,
    reasons: [because.direct('viewer', READ), because.group('group-a', 'editor', READ_WRITE)],
  },
  {
    name: 'direct editor beats group viewer; both are reasons',
    given: [sharedViaGroup('group-a', 'viewer'), sharedDirectly('editor')],
    permissions: READ_WRITE,
    reasons: [because.direct('editor', READ_WRITE), because.group('group-a', 'viewer', READ)],
  },
  {
    name: 'one reason per matching group, in group order',
    given: [
      sharedWithGroup('group-b', 'editor'),
      sharedWithGroup('group-a', 'viewer'),
      inGroup('group-b'),
      inGroup('group-a'),
    ],
    permissions: READ_WRITE,
    reasons: [because.group('group-a', 'viewer', READ), because.group('group-b', 'editor', READ_WRITE)],
  },
  {
    name: "a group's entry gives nothing to non-members",
    given: [sharedWithGroup('group-a', 'editor'), inGroup('group-b')],
    permissions: NOTHING,
    reasons: [],
  },
  {
    name: "another user's entry gives nothing",
    given: [sharedDirectly('editor', 'user-x')],
    permissions: NOTHING,
    reasons: [],
  },
  ...(
    [
      ['a direct editor entry', sharedDirectly('editor')],
      ['a group editor entry', sharedViaGroup('group-a', 'editor')],
    ] as const
  ).map(([what, tweak]): AccessCase => ({
    name: `${what} is inert while chat sharing is disabled`,
    given: [tweak, chatSharingDisabled()],
    permissions: NOTHING,
    reasons: [],
  })),
  {
    name: 'stored entries count again once chat sharing is switched back on',
    given: [sharedDirectly('editor'), chatSharingDisabled(), chatSharingDisabled(false)],
    permissions: READ_WRITE,
    reasons: [because.direct('editor', READ_WRITE)],
  },
  {
    name: 'disabled chat sharing leaves ownership and workspace membership',
    given: [ownsRoot, sharedDirectly('viewer'), inWorkspace('member'), chatSharingDisabled()],
    permissions: ALL,
    reasons: [because.owner(ALL), because.workspace('member', READ_WRITE)],
  },
];

export const WORKSPACE_ROLE_CASES: Array<{
  role: WorkspaceRole;
  permissions: Permission[];
  whileSharingDisabled: Permission[];
}> = [
  { role: 'owner', permissions: READ_WRITE, whileSharingDisabled: READ_WRITE },
  { role: 'admin', permissions: READ_WRITE, whileSharingDisabled: NOTHING },
  { role: 'member', permissions: READ_WRITE, whileSharingDisabled: NOTHING },
  { role: 'viewer', permissions: READ, whileSharingDisabled: NOTHING },
];
const reasonsIf = (permissions: Permission[], reason: Reason) => (permissions.length > 0 ? [reason] : []);
export const RULE_5_CASES: AccessCase[] = [
  ...WORKSPACE_ROLE_CASES.flatMap(({ role, permissions, whileSharingDisabled }): AccessCase[] => [
    {
      name: `workspace ${role}`,
      given: [inWorkspace(role)],
      permissions,
      reasons: [because.workspace(role, permissions)],
    },
    {
      name: `workspace ${role} while workspace sharing is disabled`,
      given: [inWorkspace(role), workspaceSharingDisabled()],
      permissions: whileSharingDisabled,
      reasons: reasonsIf(whileSharingDisabled, because.workspace(role, whileSharingDisabled)),
    },
    {
      name: `workspace ${role} on an archived workspace`,
      given: [inWorkspace(role), archived],
      permissions: READ,
      reasons: [because.workspace(role, READ)],
      writeBlocked: true,
    },
  ]),
  {
    name: 'a workspace gives nothing to non-members',
    given: [inWorkspace(null)],
    permissions: NOTHING,
    reasons: [],
  },
  {
    name: 'disabled workspace sharing leaves org owners everything',
    given: [orgRole('owner'), inWorkspace(null), workspaceSharingDisabled()],
    permissions: ALL,
    reasons: [because.orgRole('owner', ALL)],
  },
  {
    name: 'disabled workspace sharing leaves ACL entries',
    given: [inWorkspace('member'), sharedDirectly('viewer'), workspaceSharingDisabled()],
    permissions: READ,
    reasons: [because.direct('viewer', READ)],
  },
];
