import { AccessFactsError } from '../../authz/access-facts.js';
import { evaluateChatAccess } from '../../authz/evaluate.js';
import { WORKSPACE_ROLES } from '../../authz/policy.js';
import { countedWorkspaceRole } from '../workspace/workspace.access.js';
import { type ActiveGroup } from '../group/group.state.js';
import { type ActiveWorkspace } from '../workspace/workspace.state.js';
import { type ChatAccessInput, chatAccessFacts, chatAccessFactsFor, decideAccess } from './chat-access.js';
import { type ChatState, type ExistingChat } from './chat.state.js';
import {
  alice,
  bob,
  carol,
  chatCreated,
  chatDeleted,
  chatState,
  designers,
  engineers,
  group,
  groupsOf,
  groupState,
  olga,
  org,
  orgWith,
  otherOrgId,
  rootCreated,
  rootId,
  shared,
  subCreated,
  subId,
  subSubId,
  user,
  withChatSharingDisabled,
  workspaceId,
  workspaceMember,
  workspaceState,
} from './testing/chat.fixtures.js';

function existing(state: ChatState): ExistingChat {
  if (state.status === 'absent') throw new Error('expected a chat');
  return state;
}
const rootChat = existing(
  chatState(rootCreated(alice), shared(user(bob), 'editor'), shared(group(designers), 'viewer')),
);
const input = (overrides: Partial<ChatAccessInput> = {}): ChatAccessInput => ({
  userId: carol,
  org,
  chat: rootChat,
  root: rootChat,
  ancestors: [],
  workspace: null,
  groups: {},
  ...overrides,
});

describe('chatAccessFacts', () => {
  it('maps the states to the facts libs/authz takes, with the events behind them', () => {
    const facts = chatAccessFacts(input({ userId: bob }));
    expect(facts).toEqual({
      userId: bob,
      org: { chatSharingDisabled: false, workspaceSharingDisabled: false, membership: org.members.get(bob) },
      chat: { id: rootId, rootId, ownerId: alice, deleted: false },
      root: {
        id: rootId,
        ownerId: alice,
        createdBy: rootChat.createdBy,
        deleted: false,
        acl: [rootChat.acl.get(`user:${bob}`)],
      },
      groupMemberships: [],
      workspace: null,
    });
  });

  it('passes the org settings through, and no membership for who left the org', () => {
    const facts = chatAccessFacts(
      input({ userId: bob, org: withChatSharingDisabled(orgWith({ [bob]: null })) }),
    );
    expect(facts.org).toEqual({
      chatSharingDisabled: true,
      workspaceSharingDisabled: false,
      membership: null,
    });
  });

  describe('groups', () => {
    it("keeps the user's memberships of active groups of the org, and those groups' entries", () => {
      const groups = groupsOf(groupState(designers, [carol]), groupState(engineers, [bob]));
      const facts = chatAccessFacts(input({ groups }));
      expect(facts.groupMemberships).toEqual([
        {
          groupId: designers,
          since: (groups[designers] as ActiveGroup).members.get(carol)!.since,
        },
      ]);
      expect(facts.root.acl.map((entry) => entry.subject)).toEqual([user(bob), group(designers)]);
      expect(decideAccess(input({ groups })).permissions).toEqual(['read']);
    });

    it.each([
      ['deleted', groupsOf(groupState(designers, [carol], { deleted: true }))],
      ['of another org', groupsOf(groupState(designers, [carol], { inOrg: otherOrgId }))],
      ['not supplied', {}],
    ])('leaves out a group %s: no membership, and its entries grant nothing', (_, groups) => {
      const facts = chatAccessFacts(input({ groups }));
      expect(facts.groupMemberships).toEqual([]);
      expect(facts.root.acl.map((entry) => entry.subject)).toEqual([user(bob)]);
      expect(decideAccess(input({ groups })).permissions).toEqual([]);
    });
  });

  describe('deletion', () => {
    const sub = existing(chatState(subCreated(bob)));

    it("passes the root's deletion, which hides its sub-chats", () => {
      const deletedRoot = existing(chatState(rootCreated(alice), chatDeleted()));
      const facts = chatAccessFacts(input({ userId: alice, chat: sub, root: deletedRoot }));
      expect(facts.root.deleted).toBe(true);
      expect(decideAccess(input({ userId: alice, chat: sub, root: deletedRoot })).permissions).toEqual([]);
    });

    it('marks a chat under a deleted sub-chat as deleted', () => {
      const subSub = existing(chatState(subCreated(bob, { chatId: subSubId, parentChatId: subId })));
      const deletedSub = existing(chatState(subCreated(bob), chatDeleted(subId)));
      const facts = chatAccessFacts(input({ userId: alice, chat: subSub, ancestors: [deletedSub] }));
      expect(facts.chat.deleted).toBe(true);
      expect(chatAccessFacts(input({ userId: alice, chat: subSub, ancestors: [sub] })).chat.deleted).toBe(
        false,
      );
    });
  });

  describe('the workspace', () => {
    const inWs = existing(chatState(rootCreated(olga, workspaceId)));

    it('passes the STORED membership and the archive; libs/authz applies the settings', () => {
      const ws = workspaceState(workspaceMember(bob, 'viewer'));
      const off = orgWith({}, { workspaceSharingDisabled: true });
      const facts = chatAccessFacts(input({ userId: bob, org: off, chat: inWs, root: inWs, workspace: ws }));
      expect(facts.workspace).toEqual({
        id: workspaceId,
        archivedBy: null,
        membership: { role: 'viewer', since: (ws as ActiveWorkspace).members.get(bob)!.since },
      });
    });

    describe.each([false, true])(
      'agrees with countedWorkspaceRole (workspaceSharingDisabled: %s)',
      (disabled) => {
        it.each(WORKSPACE_ROLES)('on a %s', (role) => {
          const ws = workspaceState(workspaceMember(bob, role)) as ActiveWorkspace;
          const inOrg = orgWith({}, { workspaceSharingDisabled: disabled });
          const counted = countedWorkspaceRole(ws, inOrg, bob);
          const decision = decideAccess(
            input({ userId: bob, org: inOrg, chat: inWs, root: inWs, workspace: ws }),
          );
          const viaWorkspace = decision.reasons.filter((reason) => reason.kind === 'workspace');
          expect(viaWorkspace.map((reason) => reason.kind === 'workspace' && reason.role)).toEqual(
            counted === null ? [] : [counted],
          );
          expect(counted).toBe(disabled && role !== 'owner' ? null : role);
        });
      },
    );
  });

  it('chatAccessFactsFor, prepared once for a chat, gives each user what chatAccessFacts gives', () => {
    const { userId: _, ...chat } = input();
    const factsFor = chatAccessFactsFor(chat);
    for (const userId of [alice, bob, carol, olga]) {
      expect(factsFor(userId)).toEqual(chatAccessFacts({ ...chat, userId }));
    }
    const sub = existing(chatState(subCreated(carol)));
    expect(() => chatAccessFactsFor({ ...chat, chat: sub, ancestors: [sub] })).toThrow(AccessFactsError);
  });

  it('decideAccess is evaluateChatAccess on these facts', () => {
    const facts = input({ userId: bob });
    expect(decideAccess(facts)).toEqual(evaluateChatAccess(chatAccessFacts(facts)));
    expect(decideAccess(facts).permissions).toEqual(['read', 'write']);
  });

  it("gives a sub-chat's creator nothing of their own", () => {
    const sub = existing(chatState(subCreated(carol)));
    expect(decideAccess(input({ userId: carol, chat: sub })).permissions).toEqual([]);
  });

  describe('refuses contradictory states (a loader bug) rather than decide on them', () => {
    const sub = existing(chatState(subCreated(bob)));
    const subSub = existing(chatState(subCreated(bob, { chatId: subSubId, parentChatId: subId })));
    const inWs = existing(chatState(rootCreated(olga, workspaceId)));
    const elsewhere = existing(chatState(chatCreated(rootId, alice, { inOrg: otherOrgId })));
    it.each<[string, Partial<ChatAccessInput>]>([
      ['a chat of another org', { chat: elsewhere, root: elsewhere }],
      ['a root that is a sub-chat', { chat: sub, root: sub }],
      ['a sub-chat without the ancestors between it and the root', { chat: subSub }],
      ['ancestors that do not lead to the root', { chat: sub, ancestors: [sub] }],
      ['a root with ancestors', { ancestors: [sub] }],
      ['a workspace not supplied', { chat: inWs, root: inWs }],
      ['a workspace supplied for a chat in none', { workspace: workspaceState() }],
      ['another workspace', { chat: inWs, root: inWs, workspace: { status: 'absent' } }],
    ])('%s', (_, overrides) => {
      expect(() => chatAccessFacts(input(overrides))).toThrow(AccessFactsError);
    });
  });
});
