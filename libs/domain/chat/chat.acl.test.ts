import { deciderSpec } from '../../../test/support/decider-spec.js';
import { type AclRole } from '../../authz/policy.js';
import { type DomainError } from '../kernel/index.js';
import { type AclChange } from './chat.commands.js';
import { chatDecider } from './chat.decider.js';
import { type ChatEvent, type ChatSubject } from './chat.events.js';
import {
  adam,
  alice,
  archived,
  audrey,
  bob,
  carol,
  changeAcl,
  chatState,
  designers,
  engineers,
  type Facts,
  group,
  groupsOf,
  groupState,
  olga,
  org,
  orgWith,
  otherOrgId,
  post,
  rootCreated,
  rootId,
  shared,
  stranger,
  subCreated,
  subId,
  unshared,
  user,
  withChatSharingDisabled,
  workspaceId,
  workspaceState,
} from './testing/chat.fixtures.js';

const spec = deciderSpec(chatDecider);
const sharedNow = (subject: ChatSubject, role: AclRole, previousRole: AclRole | null = null) =>
  shared(subject, role, previousRole);
const groups = groupsOf(groupState(designers, [carol]), groupState(engineers, [bob]));
const change = (
  actor: string,
  users: Record<string, AclChange>,
  groupChanges: Record<string, AclChange> = {},
  facts: Facts = {},
) => changeAcl(actor, { users, groups: groupChanges }, { groups, ...facts });

describe('Changing a chat ACL (needs share)', () => {
  const root = [rootCreated(alice), shared(user(bob), 'viewer')];

  describe('what it appends', () => {
    it('adds an entry, changes one, removes one, each recording the role before', () => {
      spec
        .given(...root)
        .when(change(alice, { [carol]: 'editor' }))
        .then([sharedNow(user(carol), 'editor')]);
      spec
        .given(...root)
        .when(change(alice, { [bob]: 'editor' }))
        .then([sharedNow(user(bob), 'editor', 'viewer')]);
      spec
        .given(...root)
        .when(change(alice, { [bob]: '' }))
        .then([unshared(user(bob), 'viewer')]);
    });

    it('shares with groups of the org and unshares them', () => {
      spec
        .given(...root)
        .when(change(alice, {}, { [designers]: 'viewer' }))
        .then([sharedNow(group(designers), 'viewer')]);
      spec
        .given(...root, shared(group(designers), 'viewer'))
        .when(change(alice, {}, { [designers]: '' }))
        .then([unshared(group(designers), 'viewer')]);
    });

    it('appends nothing for the same role, for removing an absent entry, or for an empty change', () => {
      spec
        .given(...root)
        .when(change(alice, { [bob]: 'viewer' }))
        .thenNothing();
      spec
        .given(...root)
        .when(change(alice, { [carol]: '' }, { [designers]: '' }))
        .thenNothing();
      spec
        .given(...root)
        .when(change(alice, {}))
        .thenNothing();
    });

    it('appends one event per actual change: users, then groups, each by id, whatever the order sent', () => {
      const users = { [olga]: 'viewer', [carol]: 'editor', [bob]: 'viewer', [adam]: 'editor' } as const;
      spec
        .given(...root)
        .when(change(alice, users, { [engineers]: 'editor', [designers]: 'viewer' }))
        .then([
          sharedNow(user(olga), 'viewer'),
          sharedNow(user(adam), 'editor'),
          sharedNow(user(carol), 'editor'),
          sharedNow(group(designers), 'viewer'),
          sharedNow(group(engineers), 'editor'),
        ]);
    });

    it('the org owner and admins share a chat they do not own', () => {
      for (const actor of [olga, adam]) {
        spec
          .given(...root)
          .when(change(actor, { [carol]: 'viewer' }))
          .then([sharedNow(user(carol), 'viewer')]);
      }
    });
  });

  describe('who may', () => {
    it.each([
      ['a direct editor', [shared(user(carol), 'editor')], carol, {}],
      ['a group editor', [shared(group(designers), 'editor')], carol, {}],
      ['a workspace owner', [], alice, { workspace: workspaceState() }],
    ] as const)('not %s, who may read and write but not share (403)', (_, entries, actor, facts) => {
      spec
        .given(rootCreated(olga, 'workspace' in facts ? workspaceId : null), ...entries)
        .when(change(actor, { [bob]: 'viewer' }, {}, facts))
        .thenRefuses('CHAT.FORBIDDEN', 'forbidden');
    });
  });

  describe('a sub-chat has no ACL of its own', () => {
    const rootState = chatState(...root);

    it("answers 400 naming the root, to a reader, even the root's owner", () => {
      for (const actor of [alice, bob]) {
        spec
          .given(subCreated(alice))
          .when(change(actor, { [carol]: 'viewer' }, {}, { root: rootState }))
          .thenRefuses('CHAT.SUBCHAT_ACL', 'invalid', ['chatId']);
      }
      const { state } = spec.given(subCreated(alice));
      let error: unknown;
      try {
        chatDecider.decide(change(alice, { [carol]: 'viewer' }, {}, { root: rootState }), state);
      } catch (e) {
        error = e;
      }
      expect((error as DomainError).message).toContain(rootId);
      expect((error as DomainError).fields[0]?.message).toContain(rootId);
    });

    it('answers 404 to who cannot read it', () => {
      spec
        .given(subCreated(alice))
        .when(change(carol, { [carol]: 'viewer' }, {}, { root: rootState }))
        .thenRefuses('CHAT.NOT_FOUND', 'notFound');
    });

    it('answers 400 before 410 in an archived workspace: no change would ever be right', () => {
      spec
        .given(subCreated(alice, { workspaceId }))
        .when(
          change(
            alice,
            {},
            {},
            { root: chatState(rootCreated(alice, workspaceId)), workspace: workspaceState(archived) },
          ),
        )
        .thenRefuses('CHAT.SUBCHAT_ACL', 'invalid', ['chatId']);
    });
  });

  it('refuses a role other than viewer, editor or "" (400), naming each', () => {
    spec
      .given(...root)
      .when(
        change(alice, { [carol]: 'owner' as AclRole, [bob]: 'viewer' }, { [designers]: 'admin' as AclRole }),
      )
      .thenRefuses('INPUT.ROLE', 'invalid', [`users.${carol}`]);
    spec
      .given(...root)
      .when(change(alice, {}, { [designers]: 'admin' as AclRole }))
      .thenRefuses('INPUT.ROLE', 'invalid', [`groups.${designers}`]);
  });

  it('answers 410 in an archived workspace, to its owner as well', () => {
    spec
      .given(rootCreated(alice, workspaceId))
      .when(change(alice, { [carol]: 'viewer' }, {}, { workspace: workspaceState(archived) }))
      .thenRefuses('WORKSPACE.ARCHIVED', 'gone');
  });

  describe('chat sharing disabled', () => {
    const off = withChatSharingDisabled(org);

    it('refuses every change to those who may share (403), removals and empty changes too', () => {
      const requests: Array<Record<string, AclChange>> = [{ [carol]: 'viewer' }, { [bob]: '' }, {}];
      for (const users of requests) {
        spec
          .given(...root)
          .when(change(alice, users, {}, { org: off }))
          .thenRefuses('CHAT.SHARING_DISABLED', 'forbidden');
      }
      spec
        .given(...root)
        .when(change(adam, { [carol]: 'viewer' }, {}, { org: off }))
        .thenRefuses('CHAT.SHARING_DISABLED', 'forbidden');
    });

    it('keeps the entries stored: they count again when it is switched back off', () => {
      const given = spec.given(rootCreated(alice), shared(user(bob), 'editor'));
      given.when(post(bob, 'Hello', { org: off })).thenRefuses('CHAT.NOT_FOUND', 'notFound');
      given
        .when(post(bob, 'Hello', { org: withChatSharingDisabled(off, false) }))
        .then([expect.objectContaining({ type: 'ChatMessagePosted' }) as ChatEvent]);
    });
  });

  describe('targets', () => {
    it('must be org members and active groups of the org: 400 naming every offender', () => {
      const otherOrgGroup = groupState(engineers, [bob], { inOrg: otherOrgId });
      spec
        .given(...root)
        .when(
          change(
            alice,
            { [stranger]: 'viewer', [carol]: 'viewer', [audrey]: 'viewer' },
            { [designers]: 'editor', [engineers]: 'viewer', 'unloaded-group': 'viewer' },
            { groups: groupsOf(groupState(designers, [], { deleted: true }), otherOrgGroup) },
          ),
        )
        .thenRefuses('CHAT.UNKNOWN_SUBJECT', 'invalid', [
          `users.${stranger}`,
          `groups.${designers}`,
          `groups.${engineers}`,
          'groups.unloaded-group',
        ]);
    });

    it('a user who left the org cannot be given a role, but their stale entry can be removed', () => {
      const left = orgWith({ [bob]: null });
      spec
        .given(...root)
        .when(change(alice, { [bob]: 'editor' }, {}, { org: left }))
        .thenRefuses('CHAT.UNKNOWN_SUBJECT', 'invalid', [`users.${bob}`]);
      spec
        .given(...root)
        .when(change(alice, { [bob]: '' }, {}, { org: left }))
        .then([unshared(user(bob), 'viewer')]);
    });

    it("a deleted group's entry can be removed; removing an absent entry of an unknown subject is 400", () => {
      const gone = groupsOf(groupState(designers, [carol], { deleted: true }));
      spec
        .given(...root, shared(group(designers), 'editor'))
        .when(change(alice, {}, { [designers]: '' }, { groups: gone }))
        .then([unshared(group(designers), 'editor')]);
      spec
        .given(...root)
        .when(change(alice, { [stranger]: '' }, { [designers]: '' }, { groups: gone }))
        .thenRefuses('CHAT.UNKNOWN_SUBJECT', 'invalid', [`users.${stranger}`, `groups.${designers}`]);
    });
  });

  describe('nobody changes their own entry', () => {
    const withAdam = [...root, shared(user(adam), 'viewer')];

    it.each([
      ['raising it', 'editor'],
      ['removing it', ''],
    ] as const)('refuses %s (400, naming the entry)', (_, role) => {
      spec
        .given(...withAdam)
        .when(change(adam, { [adam]: role, [carol]: 'viewer' }))
        .thenRefuses('CHAT.OWN_ENTRY', 'invalid', [`users.${adam}`]);
    });

    it('nor adding one for themselves', () => {
      spec
        .given(...root)
        .when(change(olga, { [olga]: 'editor' }))
        .thenRefuses('CHAT.OWN_ENTRY', 'invalid', [`users.${olga}`]);
    });

    it('but sending back their current entry is no change, and the rest applies', () => {
      spec
        .given(...withAdam)
        .when(change(adam, { [adam]: 'viewer', [carol]: 'viewer' }))
        .then([sharedNow(user(carol), 'viewer')]);
    });

    it("changing a group's entry is not changing one's own, even as its member", () => {
      spec
        .given(...root)
        .when(
          change(adam, {}, { [designers]: 'editor' }, { groups: groupsOf(groupState(designers, [adam])) }),
        )
        .then([sharedNow(group(designers), 'editor')]);
    });
  });

  it('keeps a sub-chat readable through the root ACL after a change on the root', () => {
    spec
      .given(subCreated(bob))
      .when(post(carol, 'Hello', { root: chatState(...root, shared(user(carol), 'editor')) }))
      .then([expect.objectContaining({ data: expect.objectContaining({ chatId: subId }) }) as ChatEvent]);
  });
});
