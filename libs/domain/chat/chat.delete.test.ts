import { deciderSpec } from '../../../test/support/decider-spec.js';
import { chatDecider } from './chat.decider.js';
import {
  adam,
  alice,
  bob,
  carol,
  chatDeleted,
  chatState,
  deleteChat,
  designers,
  group,
  groupsOf,
  groupState,
  olga,
  orgWith,
  post,
  rootCreated,
  shared,
  subCreated,
  subId,
  user,
  workspaceId,
  workspaceMember,
  workspaceState,
} from './testing/chat.fixtures.js';

const spec = deciderSpec(chatDecider);

describe('Chat deletion (needs delete)', () => {
  const root = [rootCreated(alice), shared(user(bob), 'editor'), shared(user(carol), 'viewer')];

  it.each([
    ['the root owner', alice],
    ['the org owner', olga],
    ['an org admin', adam],
  ])('%s deletes it', (_, actor) => {
    spec
      .given(...root)
      .when(deleteChat(actor))
      .then([chatDeleted()]);
  });

  it('a root owner demoted to auditor still deletes it: ownership is its own source', () => {
    spec
      .given(...root)
      .when(deleteChat(alice, { org: orgWith({ [alice]: 'auditor' }) }))
      .then([chatDeleted()]);
  });

  it.each([
    ['a direct editor', bob],
    ['a direct viewer', carol],
  ])('%s may not (403)', (_, actor) => {
    spec
      .given(...root)
      .when(deleteChat(actor))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
  });

  it('nor a group editor, nor a workspace owner', () => {
    spec
      .given(rootCreated(alice), shared(group(designers), 'editor'))
      .when(deleteChat(carol, { groups: groupsOf(groupState(designers, [carol])) }))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    spec
      .given(rootCreated(olga, workspaceId))
      .when(deleteChat(alice, { workspace: workspaceState() }))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
  });

  describe('a sub-chat', () => {
    const sub = subCreated(bob);

    it("is deleted by the root's owner", () => {
      spec
        .given(sub)
        .when(deleteChat(alice, { root: chatState(...root) }))
        .then([chatDeleted(subId)]);
    });

    it("is not deleted by its creator, who is only the root's editor (403)", () => {
      spec
        .given(sub)
        .when(deleteChat(bob, { root: chatState(...root) }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('disappears with its root: nothing can be done on it any more', () => {
      const deletedRoot = chatState(...root, chatDeleted());
      spec
        .given(sub)
        .when(post(bob, 'Hello', { root: deletedRoot }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
      spec
        .given(sub)
        .when(deleteChat(alice, { root: deletedRoot }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('can be deleted while its root stays', () => {
      const { state } = spec.given(sub, chatDeleted(subId));
      expect(state.status).toBe('deleted');
      spec
        .given(...root)
        .when(post(bob))
        .then([expect.objectContaining({ type: 'ChatMessagePosted' })]);
    });
  });

  it('a workspace member writes but may not delete', () => {
    spec
      .given(rootCreated(alice, workspaceId))
      .when(deleteChat(bob, { workspace: workspaceState(workspaceMember(bob, 'admin')) }))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
  });
});
