/**
 * Every case of DESIGN.md §5 "Effective access", as data: the facts, the
 * permissions and the reasons expected. evaluate.test.ts runs them through
 * evaluateChatAccess; anything else that must agree with it (the projected
 * ACL, an SQL filter for lists, audit replay) can run the same table, so the
 * rule written in two forms has one test comparing them (STYLE.md).
 */
import {
  ALL,
  type AccessCase,
  archived,
  askAboutSubChat,
  because,
  chatDeleted,
  NOTHING,
  notOrgMember,
  orgRole,
  ownsRoot,
  READ,
  READ_WRITE,
  rootDeleted,
  sharedDirectly,
  sharedViaGroup,
  type Tweak,
  USER,
  inWorkspace,
} from './chat-access-facts.builders.js';
import { ACL_ROLE_CASES, RULE_5_CASES, RULE_4_CASES } from './chat-access-sharing.cases.js';
import { type Reason } from '../evaluate.js';
import { type OrgRole, type Permission } from '../policy.js';

const everyGrant: Array<[string, Tweak]> = [
  ['owning the root', ownsRoot],
  ['an org owner role', orgRole('owner')],
  ['a direct editor entry', sharedDirectly('editor')],
  ['a group editor entry', sharedViaGroup('group-a', 'editor')],
  ['a workspace owner membership', inWorkspace('owner')],
];

const ruleOne: AccessCase[] = [
  ...everyGrant.map(([what, tweak]): AccessCase => ({
    name: `a user no longer in the org gets nothing, despite ${what}`,
    given: [tweak, notOrgMember],
    permissions: NOTHING,
    reasons: [],
  })),
  {
    name: 'a deleted chat gives its owner nothing',
    given: [ownsRoot, chatDeleted],
    permissions: NOTHING,
    reasons: [],
  },
  {
    name: 'a deleted chat gives an org owner nothing',
    given: [orgRole('owner'), chatDeleted],
    permissions: NOTHING,
    reasons: [],
  },
  {
    name: 'a deleted sub-chat is missing though its root is not',
    given: [ownsRoot, askAboutSubChat(), chatDeleted],
    permissions: NOTHING,
    reasons: [],
  },
  {
    name: 'a sub-chat of a deleted root is missing',
    given: [sharedDirectly('editor'), askAboutSubChat(), rootDeleted],
    permissions: NOTHING,
    reasons: [],
  },
  {
    name: 'a deleted chat in an archived workspace is missing, not blocked',
    given: [orgRole('admin'), archived, chatDeleted],
    permissions: NOTHING,
    reasons: [],
  },
];

const ruleTwo: AccessCase[] = [
  {
    name: 'the root owner gets everything',
    given: [ownsRoot],
    permissions: ALL,
    reasons: [because.owner(ALL)],
  },
  {
    name: "a sub-chat gives its root's owner everything",
    given: [ownsRoot, askAboutSubChat()],
    permissions: ALL,
    reasons: [because.owner(ALL)],
  },
  {
    name: "a sub-chat's own creator gets nothing from creating it",
    given: [askAboutSubChat(USER)],
    permissions: NOTHING,
    reasons: [],
  },
  {
    name: "a sub-chat's creator keeps what the root's ACL gives",
    given: [sharedDirectly('editor'), askAboutSubChat(USER)],
    permissions: READ_WRITE,
    reasons: [because.direct('editor', READ_WRITE)],
  },
  {
    name: 'a root owner later made auditor still owns it',
    given: [ownsRoot, orgRole('auditor')],
    permissions: ALL,
    reasons: [because.owner(ALL)],
  },
  {
    name: 'an org admin who owns the root has both reasons',
    given: [ownsRoot, orgRole('admin')],
    permissions: ALL,
    reasons: [because.owner(ALL), because.orgRole('admin', ALL)],
  },
];

export const ORG_ROLE_CASES: Array<{ role: OrgRole; permissions: Permission[]; reasons: Reason[] }> = [
  { role: 'owner', permissions: ALL, reasons: [because.orgRole('owner', ALL)] },
  { role: 'admin', permissions: ALL, reasons: [because.orgRole('admin', ALL)] },
  { role: 'member', permissions: NOTHING, reasons: [] },
  { role: 'auditor', permissions: NOTHING, reasons: [] },
];
const ruleThree: AccessCase[] = [
  ...ORG_ROLE_CASES.map((c): AccessCase => ({ name: `org ${c.role}`, given: [orgRole(c.role)], ...c })),
  {
    name: 'an auditor gets what an ACL entry gives, not more',
    given: [orgRole('auditor'), sharedDirectly('viewer')],
    permissions: READ,
    reasons: [because.direct('viewer', READ)],
  },
];

const ruleSix: AccessCase[] = [
  ...(
    [
      ['org owner', orgRole('owner'), because.orgRole('owner', READ)],
      ['org admin', orgRole('admin'), because.orgRole('admin', READ)],
      ['root owner', ownsRoot, because.owner(READ)],
    ] as const
  ).map(([who, tweak, reason]): AccessCase => ({
    name: `an archived workspace leaves the ${who} read only`,
    given: [tweak, archived],
    permissions: READ,
    reasons: [reason],
    writeBlocked: true,
  })),
  ...ACL_ROLE_CASES.map(({ role }): AccessCase => ({
    name: `an archived workspace leaves a direct ${role} read only`,
    given: [sharedDirectly(role), archived],
    permissions: READ,
    reasons: [because.direct(role, READ)],
    writeBlocked: true,
  })),
  {
    name: 'an archived workspace leaves a group editor read only',
    given: [sharedViaGroup('group-a', 'editor'), archived],
    permissions: READ,
    reasons: [because.group('group-a', 'editor', READ)],
    writeBlocked: true,
  },
  {
    name: 'an archived workspace is reported even to an org member without access',
    given: [archived],
    permissions: NOTHING,
    reasons: [],
    writeBlocked: true,
  },
  {
    name: 'the union of every source',
    given: [orgRole('auditor'), sharedViaGroup('group-a', 'viewer'), inWorkspace('member')],
    permissions: READ_WRITE,
    reasons: [because.group('group-a', 'viewer', READ), because.workspace('member', READ_WRITE)],
  },
];

export const ACCESS_CASES: Record<string, AccessCase[]> = {
  'rule 1: not an org member, or the chat deleted': ruleOne,
  'rule 2: owner of the root': ruleTwo,
  'rule 3: org role': ruleThree,
  'rule 4: ACL entries': RULE_4_CASES,
  'rule 5: workspace membership and archiving': RULE_5_CASES,
  'rule 6: union; archiving leaves everyone read only': ruleSix,
};

export { ACL_ROLE_CASES, WORKSPACE_ROLE_CASES } from './chat-access-sharing.cases.js';
