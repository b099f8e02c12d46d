import { deciderSpec } from '../../../test/support/decider-spec.js';
import { chatDecider } from './chat.decider.js';
import { type ChatEvent } from './chat.events.js';
import {
  adam,
  alice,
  archived,
  audrey,
  bob,
  carol,
  chatState,
  designers,
  group,
  groupsOf,
  groupState,
  olga,
  orgWith,
  rename,
  rootCreated,
  rootId,
  shared,
  subCreated,
  subId,
  user,
  workspaceId,
  workspaceMember,
  workspaceState,
} from './testing/chat.fixtures.js';

const spec = deciderSpec(chatDecider);
const renamed = (title: string, previousTitle = 'Plans', chatId = rootId): ChatEvent => ({
  type: 'ChatRenamed',
  data: { orgId: rootCreated(alice).data.orgId, chatId, title, previousTitle },
});

describe('Chat renaming (needs write)', () => {
  const root = [rootCreated(alice), shared(user(bob), 'editor'), shared(user(carol), 'viewer')];

  it.each([
    ['the root owner', alice],
    ['a direct editor', bob],
    ['the org owner', olga],
    ['an org admin', adam],
  ])('%s renames, recording the previous title', (_, actor) => {
    spec
      .given(...root)
      .when(rename(actor, 'Roadmap'))
      .then([renamed('Roadmap')]);
  });

  it('a group editor renames', () => {
    spec
      .given(rootCreated(alice), shared(group(designers), 'editor'))
      .when(rename(carol, 'Roadmap', { groups: groupsOf(groupState(designers, [carol])) }))
      .then([renamed('Roadmap')]);
  });

  it('a viewer may not (403), nor an auditor with a viewer entry', () => {
    spec
      .given(...root)
      .when(rename(carol, 'Roadmap'))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    spec
      .given(rootCreated(alice), shared(user(audrey), 'viewer'))
      .when(rename(audrey, 'Roadmap'))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
  });

  it('appends nothing for the same title, once authorized', () => {
    spec
      .given(...root)
      .when(rename(bob, 'Plans'))
      .thenNothing();
    spec
      .given(...root)
      .when(rename(carol, 'Plans'))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
  });

  it.each(['', '  ', 'x'.repeat(201)])('refuses the title %j to a reader (400), 404 to others', (title) => {
    spec
      .given(...root)
      .when(rename(carol, title))
      .thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['title']);
    spec
      .given(...root)
      .when(rename(adam, title, { org: orgWith({ [adam]: 'member' }) }))
      .thenRefuses('CHAT.NOT_FOUND', 'notFound');
  });

  describe('in a workspace', () => {
    const inWs = [rootCreated(alice, workspaceId)];
    const ws = workspaceState(workspaceMember(bob, 'member'), workspaceMember(carol, 'viewer'));

    it('a workspace member renames, a workspace viewer may not', () => {
      spec
        .given(...inWs)
        .when(rename(bob, 'Roadmap', { workspace: ws }))
        .then([renamed('Roadmap')]);
      spec
        .given(...inWs)
        .when(rename(carol, 'Roadmap', { workspace: ws }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('a workspace member counts for nothing while workspace sharing is disabled; an owner still does', () => {
      const off = orgWith({}, { workspaceSharingDisabled: true });
      spec
        .given(...inWs)
        .when(rename(bob, 'Roadmap', { workspace: ws, org: off }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
      const owned = [rootCreated(olga, workspaceId)];
      spec
        .given(...owned)
        .when(rename(alice, 'Roadmap', { workspace: ws, org: off }))
        .then([renamed('Roadmap')]);
    });

    it('answers 410 in an archived workspace even for the same title', () => {
      const closed = workspaceState(archived);
      spec
        .given(...inWs)
        .when(rename(alice, 'Plans', { workspace: closed }))
        .thenRefuses('WORKSPACE.ARCHIVED', 'gone');
    });
  });

  describe('a sub-chat', () => {
    it("is renamed by the root's editor, through the root's ACL", () => {
      spec
        .given(subCreated(carol))
        .when(rename(bob, 'Roadmap', { root: chatState(...root) }))
        .then([renamed('Roadmap', 'Details', subId)]);
    });

    it('is not renamed by its own creator when the root gives them only read (403)', () => {
      spec
        .given(subCreated(carol))
        .when(rename(carol, 'Roadmap', { root: chatState(...root) }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });
  });
});
