import { deciderSpec } from '../../../test/support/decider-spec.js';
import { chatDecider } from './chat.decider.js';
import { type ChatState } from './chat.state.js';
import {
  adam,
  alice,
  archived,
  audrey,
  bob,
  carol,
  chatCreated,
  chatDeleted,
  chatState,
  createRoot,
  createSub,
  designers,
  group,
  groupsOf,
  groupState,
  newChatId,
  olga,
  orgWith,
  otherOrgId,
  rootCreated,
  rootId,
  shared,
  stranger,
  subCreated,
  subId,
  unshared,
  user,
  workspaceId,
  workspaceMember,
  workspaceState,
} from './testing/chat.fixtures.js';

const spec = deciderSpec(chatDecider);
const createdRoot = (ownerId: string, ws: string | null = null) =>
  chatCreated(newChatId, ownerId, { workspaceId: ws });
const createdSub = (ownerId: string, { parentChatId = rootId, ws = null as string | null } = {}) =>
  chatCreated(newChatId, ownerId, { parentChatId, rootChatId: rootId, workspaceId: ws, title: 'Details' });

describe('Chat creation', () => {
  describe('a root chat', () => {
    it.each([
      ['an org member', alice],
      ['an org admin', adam],
      ['an org owner', olga],
    ])('is created by %s, who owns it', (_, actor) => {
      spec
        .given()
        .when(createRoot(actor))
        .then([createdRoot(actor)]);
    });

    it('is refused to an auditor (403)', () => {
      spec.given().when(createRoot(audrey)).thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('is 404 for a non-member of the org, and for a member who has left it', () => {
      spec.given().when(createRoot(stranger)).thenRefuses('ORG.NOT_FOUND', 'notFound');
      spec
        .given()
        .when(createRoot(bob, { inOrg: orgWith({ [bob]: null }) }))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it.each(['', '   ', 'x'.repeat(201)])('refuses the title %j', (title) => {
      spec.given().when(createRoot(alice, { title })).thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['title']);
    });

    it('accepts a title of 200 characters', () => {
      spec
        .given()
        .when(createRoot(alice, { title: 'x'.repeat(200) }))
        .then([chatCreated(newChatId, alice, { title: 'x'.repeat(200) })]);
    });

    it('cannot be created twice, even after deletion (409)', () => {
      spec.given(createdRoot(alice)).when(createRoot(alice)).thenRefuses('CHAT.ALREADY_EXISTS', 'conflict');
      spec
        .given(createdRoot(alice), chatDeleted(newChatId))
        .when(createRoot(alice))
        .thenRefuses('CHAT.ALREADY_EXISTS', 'conflict');
    });
  });

  describe('in a workspace', () => {
    const ws = workspaceState(
      workspaceMember(bob, 'member'),
      workspaceMember(carol, 'viewer'),
      workspaceMember(audrey, 'admin'),
    );
    const inWs = (actor: string, workspace = ws, inOrg = orgWith()) =>
      createRoot(actor, { workspaceId, workspace, inOrg });

    it.each([
      ['its owner', alice],
      ['a workspace member', bob],
      ['an org owner outside it', olga],
      ['an org admin outside it', adam],
    ])('is created by %s', (_, actor) => {
      spec
        .given()
        .when(inWs(actor))
        .then([createdRoot(actor, workspaceId)]);
    });

    it('is created by a workspace admin', () => {
      const admin = workspaceState(workspaceMember(bob, 'admin'));
      spec
        .given()
        .when(inWs(bob, admin))
        .then([createdRoot(bob, workspaceId)]);
    });

    it('is refused to a workspace viewer, who may see but not write (403)', () => {
      spec.given().when(inWs(carol)).thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('is refused to an auditor even as workspace admin (403)', () => {
      spec.given().when(inWs(audrey)).thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('names an unknown workspace: missing, invisible, or of another org (400)', () => {
      const unknown = ['CHAT.UNKNOWN_WORKSPACE', 'invalid', ['workspaceId']] as const;
      spec
        .given()
        .when(createRoot(alice, { workspaceId, workspace: null }))
        .thenRefuses(...unknown);
      spec
        .given()
        .when(createRoot(alice, { workspaceId, workspace: { status: 'absent' } }))
        .thenRefuses(...unknown);
      const outsider = workspaceState();
      spec
        .given()
        .when(inWs(bob, outsider))
        .thenRefuses(...unknown);
      spec
        .given()
        .when(inWs(alice, ws, orgWith({}, { id: otherOrgId })))
        .thenRefuses(...unknown);
      spec
        .given()
        .when(createRoot(alice, { workspaceId: 'another-id', workspace: ws }))
        .thenRefuses(...unknown);
    });

    it('is 410 in an archived workspace, for viewers too; 400 for who cannot see it', () => {
      const closed = workspaceState(workspaceMember(carol, 'viewer'), archived);
      spec.given().when(inWs(alice, closed)).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      spec.given().when(inWs(olga, closed)).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      spec.given().when(inWs(carol, closed)).thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      spec.given().when(inWs(bob, closed)).thenRefuses('CHAT.UNKNOWN_WORKSPACE', 'invalid', ['workspaceId']);
    });

    it('counts only owners while workspace sharing is disabled', () => {
      const off = orgWith({}, { workspaceSharingDisabled: true });
      spec
        .given()
        .when(inWs(alice, ws, off))
        .then([createdRoot(alice, workspaceId)]);
      spec
        .given()
        .when(inWs(adam, ws, off))
        .then([createdRoot(adam, workspaceId)]);
      spec
        .given()
        .when(inWs(bob, ws, off))
        .thenRefuses('CHAT.UNKNOWN_WORKSPACE', 'invalid', ['workspaceId']);
    });
  });

  describe('a sub-chat', () => {
    const root = chatState(rootCreated(alice), shared(user(bob), 'editor'), shared(user(carol), 'viewer'));

    it("is created by the root's owner and by its editors, under the root", () => {
      spec
        .given()
        .when(createSub(alice, root))
        .then([createdSub(alice)]);
      spec
        .given()
        .when(createSub(bob, root))
        .then([createdSub(bob)]);
    });

    it('is created by an org admin with no entry at all', () => {
      spec
        .given()
        .when(createSub(adam, root))
        .then([createdSub(adam)]);
    });

    it('is created through a group editor entry, but not through a deleted group', () => {
      const viaGroup = chatState(rootCreated(alice), shared(group(designers), 'editor'));
      const groups = groupsOf(groupState(designers, [carol]));
      spec
        .given()
        .when(createSub(carol, viaGroup, { groups }))
        .then([createdSub(carol)]);
      const gone = groupsOf(groupState(designers, [carol], { deleted: true }));
      spec
        .given()
        .when(createSub(carol, viaGroup, { groups: gone }))
        .thenRefuses('CHAT.UNKNOWN_PARENT', 'invalid', ['parentChatId']);
    });

    it("under a sub-chat, has the parent's root as root", () => {
      const parent = chatState(subCreated(bob));
      spec
        .given()
        .when(createSub(bob, parent, { parentChatId: subId, root }))
        .then([createdSub(bob, { parentChatId: subId })]);
    });

    it("belongs to the root's workspace, where a workspace member may create it", () => {
      const inWs = chatState(rootCreated(alice, workspaceId));
      const workspace = workspaceState(workspaceMember(bob, 'member'));
      spec
        .given()
        .when(createSub(bob, inWs, { workspace }))
        .then([createdSub(bob, { ws: workspaceId })]);
    });

    it("takes no workspaceId of its own, even the root's (400)", () => {
      const inWs = chatState(rootCreated(alice, workspaceId));
      for (const id of [workspaceId, 'elsewhere']) {
        spec
          .given()
          .when(createSub(alice, inWs, { workspace: workspaceState(), workspaceId: id }))
          .thenRefuses('CHAT.SUBCHAT_WORKSPACE', 'invalid', ['workspaceId']);
      }
    });

    it('is refused to a reader without write (403)', () => {
      spec.given().when(createSub(carol, root)).thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('is refused to an auditor, even an editor of the parent (403)', () => {
      const forAuditor = chatState(rootCreated(alice), shared(user(audrey), 'editor'));
      spec.given().when(createSub(audrey, forAuditor)).thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    describe('names the parent as unknown (400) when the creator cannot read it', () => {
      const unknown = ['CHAT.UNKNOWN_PARENT', 'invalid', ['parentChatId']] as const;
      const cases: Array<[string, string, ChatState, { root?: ChatState; parentChatId?: string }]> = [
        ['it does not exist', alice, { status: 'absent' }, {}],
        ['it is not shared with them', bob, chatState(rootCreated(alice)), {}],
        ['it was deleted', alice, chatState(rootCreated(alice), chatDeleted()), {}],
        [
          'its root was deleted',
          alice,
          chatState(subCreated(alice)),
          { root: chatState(rootCreated(alice), chatDeleted()), parentChatId: subId },
        ],
        ['it is in another org', alice, chatState(chatCreated(rootId, alice, { inOrg: otherOrgId })), {}],
        [
          'their entry was removed',
          bob,
          chatState(rootCreated(alice), shared(user(bob), 'editor'), unshared(user(bob), 'editor')),
          {},
        ],
        [
          'the state loaded is of another chat',
          alice,
          chatState(rootCreated(alice)),
          { parentChatId: subId },
        ],
      ];
      it.each(cases)('%s', (_, actor, parent, extra) => {
        spec
          .given()
          .when(createSub(actor, parent, extra))
          .thenRefuses(...unknown);
      });

      it('no parent was loaded at all', () => {
        spec
          .given()
          .when({ ...createSub(alice, root), parent: null } as Parameters<typeof chatDecider.decide>[0])
          .thenRefuses(...unknown);
      });
    });

    it("gives its creator nothing on the root's other sub-chats once the root's ACL drops them", () => {
      const dropped = chatState(
        rootCreated(alice),
        shared(user(bob), 'editor'),
        unshared(user(bob), 'editor'),
      );
      const ownSub = chatState(subCreated(bob));
      spec
        .given()
        .when(createSub(bob, ownSub, { parentChatId: subId, root: dropped }))
        .thenRefuses('CHAT.UNKNOWN_PARENT', 'invalid', ['parentChatId']);
    });

    it('is 410 under an archived workspace for every reader, 400 for others', () => {
      const inWs = chatState(rootCreated(alice, workspaceId), shared(user(carol), 'viewer'));
      const workspace = workspaceState(archived);
      spec
        .given()
        .when(createSub(alice, inWs, { workspace }))
        .thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      spec
        .given()
        .when(createSub(carol, inWs, { workspace }))
        .thenRefuses('WORKSPACE.ARCHIVED', 'gone');
      spec
        .given()
        .when(createSub(bob, inWs, { workspace }))
        .thenRefuses('CHAT.UNKNOWN_PARENT', 'invalid', ['parentChatId']);
    });
  });
});
