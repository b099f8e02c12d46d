import { deciderSpec } from '../../../test/support/decider-spec.js';
import { chatDecider } from './chat.decider.js';
import { type ChatEvent } from './chat.events.js';
import {
  alice,
  audrey,
  bob,
  carol,
  chatDeleted,
  chatState,
  designers,
  engineers,
  group,
  groupsOf,
  groupState,
  messageId,
  olga,
  org,
  orgId,
  orgWith,
  post,
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

const spec = deciderSpec(chatDecider);
const posted = (authorId: string, body = 'Hello', chatId = rootId): ChatEvent => ({
  type: 'ChatMessagePosted',
  data: { orgId, chatId, messageId, authorId, body },
});

describe('Posting a message (needs write)', () => {
  const root = [rootCreated(alice), shared(user(bob), 'editor'), shared(user(carol), 'viewer')];

  it('the owner and an editor post; the body is kept as sent', () => {
    spec
      .given(...root)
      .when(post(alice))
      .then([posted(alice)]);
    spec
      .given(...root)
      .when(post(bob, '  hi  '))
      .then([posted(bob, '  hi  ')]);
  });

  it('a viewer may not (403)', () => {
    spec
      .given(...root)
      .when(post(carol))
      .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
  });

  describe('the body: 1 to 16 000 characters, counted as code points', () => {
    it.each([
      ['empty', ''],
      ['white space only', ' \n\t '],
      ['16 001 characters', 'x'.repeat(16_001)],
      ['16 001 emoji', '😀'.repeat(16_001)],
    ])('refuses a body %s to a reader (400)', (_, body) => {
      spec
        .given(...root)
        .when(post(carol, body))
        .thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['body']);
    });

    it.each([
      ['NUL', 'a\u0000b'],
      ['a lone surrogate', 'a\ud800b'],
    ])('refuses a body holding %s, which the event log cannot store (400)', (_, body) => {
      spec
        .given(...root)
        .when(post(carol, body))
        .thenRefuses('INPUT.TEXT_CHARACTERS', 'invalid', ['body']);
    });

    it('accepts 16 000 characters, and 16 000 emoji though they are 32 000 UTF-16 units', () => {
      for (const body of ['x'.repeat(16_000), '😀'.repeat(16_000)]) {
        spec
          .given(...root)
          .when(post(bob, body))
          .then([posted(bob, body)]);
      }
    });

    it('answers 404 before looking at the body of who cannot read', () => {
      spec
        .given(...root)
        .when(post(olga, '', { org: orgWith({ [olga]: 'member' }) }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });
  });

  describe('in sub-chats, through the root', () => {
    it("the root's editor posts in a sub-chat someone else created", () => {
      spec
        .given(subCreated(carol))
        .when(post(bob, 'Hello', { root: chatState(...root) }))
        .then([posted(bob, 'Hello', subId)]);
    });

    it('and in a sub-chat of a sub-chat', () => {
      spec
        .given(subCreated(carol, { chatId: subSubId, parentChatId: subId }))
        .when(post(bob, 'Hello', { root: chatState(...root), ancestors: [chatState(subCreated(carol))] }))
        .then([posted(bob, 'Hello', subSubId)]);
    });

    it("the sub-chat's creator gets nothing from creating it: a root viewer stays a viewer", () => {
      spec
        .given(subCreated(carol))
        .when(post(carol, 'Hello', { root: chatState(...root) }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it("the sub-chat's ACL events, were there any, would not count: only the root's do", () => {
      spec
        .given(subCreated(carol), shared(user(carol), 'editor', null, subId))
        .when(post(carol, 'Hello', { root: chatState(...root) }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });
  });

  describe('chat sharing disabled', () => {
    const off = withChatSharingDisabled(org);

    it('makes entries inert (404) but leaves the owner and org admins', () => {
      spec
        .given(...root)
        .when(post(bob, 'Hello', { org: off }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
      spec
        .given(...root)
        .when(post(alice, 'Hello', { org: off }))
        .then([posted(alice)]);
      spec
        .given(...root)
        .when(post(olga, 'Hello', { org: off }))
        .then([posted(olga)]);
    });

    it('the stored entries count again once it is switched back off', () => {
      spec
        .given(...root)
        .when(post(bob, 'Hello', { org: withChatSharingDisabled(off, false) }))
        .then([posted(bob)]);
    });
  });

  describe('through groups', () => {
    const viaGroups = [
      rootCreated(alice),
      shared(group(designers), 'editor'),
      shared(group(engineers), 'viewer'),
    ];

    it('a member of an editor group posts; the highest of their groups wins', () => {
      const groups = groupsOf(groupState(designers, [carol]), groupState(engineers, [carol]));
      spec
        .given(...viaGroups)
        .when(post(carol, 'Hello', { groups }))
        .then([posted(carol)]);
    });

    it('a member of a viewer group only may not (403)', () => {
      const groups = groupsOf(groupState(designers, []), groupState(engineers, [carol]));
      spec
        .given(...viaGroups)
        .when(post(carol, 'Hello', { groups }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('a deleted editor group grants nothing, the viewer group still reads (403)', () => {
      const groups = groupsOf(
        groupState(designers, [carol], { deleted: true }),
        groupState(engineers, [carol]),
      );
      spec
        .given(...viaGroups)
        .when(post(carol, 'Hello', { groups }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });

    it('a group the handler did not load grants nothing', () => {
      spec
        .given(...viaGroups)
        .when(post(carol, 'Hello', { groups: {} }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });
  });

  describe('through the workspace', () => {
    const inWs = [rootCreated(olga, workspaceId)];
    const ws = workspaceState(workspaceMember(bob, 'member'), workspaceMember(carol, 'viewer'));

    it('its owner and members post, its viewers may not, others do not see it', () => {
      spec
        .given(...inWs)
        .when(post(alice, 'Hello', { workspace: ws }))
        .then([posted(alice)]);
      spec
        .given(...inWs)
        .when(post(bob, 'Hello', { workspace: ws }))
        .then([posted(bob)]);
      spec
        .given(...inWs)
        .when(post(carol, 'Hello', { workspace: ws }))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
      spec
        .given(...inWs)
        .when(post(audrey, 'Hello', { workspace: ws }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('while workspace sharing is disabled, only its owners keep their access', () => {
      const off = orgWith({}, { workspaceSharingDisabled: true });
      spec
        .given(...inWs)
        .when(post(alice, 'Hello', { workspace: ws, org: off }))
        .then([posted(alice)]);
      spec
        .given(...inWs)
        .when(post(bob, 'Hello', { workspace: ws, org: off }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });
  });

  it('leaves the chat state as it was: messages live in their own stream', () => {
    const before = spec.given(...root).state;
    const after = spec.given(...root, posted(bob)).state;
    expect(after).toEqual(before);
  });

  it('a deleted chat takes no messages', () => {
    spec
      .given(...root, chatDeleted())
      .when(post(alice))
      .thenRefuses('CHAT.NOT_FOUND', 'notFound');
  });
});
