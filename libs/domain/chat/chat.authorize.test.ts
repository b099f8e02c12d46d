import { deciderSpec } from '../../../test/support/decider-spec.js';
import { type ChatCommand } from './chat.commands.js';
import { chatDecider } from './chat.decider.js';
import {
  adam,
  alice,
  archived,
  bob,
  carol,
  changeAcl,
  chatCreated,
  chatDeleted,
  chatState,
  deleteChat,
  designers,
  type Facts,
  group,
  groupsOf,
  groupState,
  olga,
  orgWith,
  otherOrgId,
  post,
  rename,
  rootCreated,
  rootId,
  shared,
  stranger,
  subCreated,
  subId,
  subSubId,
  unarchived,
  user,
  withChatSharingDisabled,
  workspaceId,
  workspaceMember,
  workspaceState,
  org,
} from './testing/chat.fixtures.js';

const spec = deciderSpec(chatDecider);

/**
 * The status rules of DESIGN.md §5 shared by every command on an existing
 * chat: 404 (org, then chat) → 410 → 403. Each command's own rules and
 * successes are in its own file.
 */
const commands: Array<[string, (actorId: string, facts?: Facts) => ChatCommand]> = [
  ['RenameChat', (actor, facts) => rename(actor, 'Roadmap', facts)],
  ['PostChatMessage', (actor, facts) => post(actor, 'Hello', facts)],
  ['DeleteChat', (actor, facts) => deleteChat(actor, facts)],
  ['ChangeChatAcl', (actor, facts) => changeAcl(actor, { users: { [carol]: 'viewer' } }, facts)],
];

describe.each(commands)('%s, authorized by libs/authz', (_, command) => {
  const root = [rootCreated(alice), shared(user(bob), 'viewer')];

  describe('404', () => {
    it('ORG.NOT_FOUND for a non-member of the org', () => {
      spec
        .given(...root)
        .when(command(stranger))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it('ORG.NOT_FOUND for the root owner once removed from the org', () => {
      spec
        .given(...root)
        .when(command(alice, { org: orgWith({ [alice]: null }) }))
        .thenRefuses('ORG.NOT_FOUND', 'notFound');
    });

    it('CHAT.NOT_FOUND for a chat that does not exist', () => {
      spec.given().when(command(olga)).thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('CHAT.NOT_FOUND for a deleted chat, to its owner and to the org owner', () => {
      for (const actor of [alice, olga]) {
        spec
          .given(...root, chatDeleted())
          .when(command(actor))
          .thenRefuses('CHAT.NOT_FOUND', 'notFound');
      }
    });

    it("CHAT.NOT_FOUND for another tenant's chat, even to its owner", () => {
      spec
        .given(chatCreated(rootId, alice, { inOrg: otherOrgId }))
        .when(command(alice))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('CHAT.NOT_FOUND for an org member it is not shared with', () => {
      spec
        .given(...root)
        .when(command(carol))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('CHAT.NOT_FOUND for a sub-chat of a deleted root, even to the root owner and the org owner', () => {
      const deletedRoot = chatState(...root, chatDeleted());
      for (const actor of [alice, olga, bob]) {
        spec
          .given(subCreated(bob))
          .when(command(actor, { root: deletedRoot }))
          .thenRefuses('CHAT.NOT_FOUND', 'notFound');
      }
    });

    it('CHAT.NOT_FOUND for a chat under a deleted sub-chat', () => {
      const facts = { root: chatState(...root), ancestors: [chatState(subCreated(bob), chatDeleted(subId))] };
      spec
        .given(subCreated(bob, { chatId: subSubId, parentChatId: subId }))
        .when(command(alice, facts))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it("CHAT.NOT_FOUND for a sub-chat's creator whom the root no longer lets read", () => {
      spec
        .given(subCreated(carol))
        .when(command(carol, { root: chatState(...root) }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('CHAT.NOT_FOUND through a deleted group, or once out of the group', () => {
      const viaGroup = [rootCreated(alice), shared(group(designers), 'editor')];
      spec
        .given(...viaGroup)
        .when(command(carol, { groups: groupsOf(groupState(designers, [carol], { deleted: true })) }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
      spec
        .given(...viaGroup)
        .when(command(carol, { groups: groupsOf(groupState(designers, [bob])) }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('CHAT.NOT_FOUND for a direct entry while chat sharing is disabled (it is inert)', () => {
      spec
        .given(...root)
        .when(command(bob, { org: withChatSharingDisabled(org) }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });
  });

  describe('410 before 403', () => {
    const inWs = [rootCreated(alice, workspaceId), shared(user(bob), 'viewer')];
    const workspace = workspaceState(workspaceMember(carol, 'viewer'), archived);

    it.each([
      ['the root owner', alice],
      ['the org owner', olga],
      ['an org admin', adam],
      ['a viewer through the ACL', bob],
      ['a viewer through the workspace', carol],
    ])('WORKSPACE.ARCHIVED for %s', (__, actor) => {
      spec
        .given(...inWs)
        .when(command(actor, { workspace }))
        .thenRefuses('WORKSPACE.ARCHIVED', 'gone');
    });

    it('but 404 first for who cannot read', () => {
      spec
        .given(...inWs)
        .when(command(olga, { workspace, org: orgWith({ [olga]: 'member' }) }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('CHAT.FORBIDDEN for a viewer once the workspace is unarchived', () => {
      spec
        .given(...inWs)
        .when(
          command(bob, { workspace: workspaceState(workspaceMember(carol, 'viewer'), archived, unarchived) }),
        )
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('CHAT.FORBIDDEN for a viewer through a group', () => {
      spec
        .given(rootCreated(alice), shared(group(designers), 'viewer'))
        .when(command(carol, { groups: groupsOf(groupState(designers, [carol])) }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });
  });
});
