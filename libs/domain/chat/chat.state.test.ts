import { eventRefFor } from '../../event-store/testing/event-refs.js';
import { deciderSpec } from '../../../test/support/decider-spec.js';
import { PersistentOrderedMap } from '../kernel/index.js';
import { chatDecider } from './chat.decider.js';
import {
  alice,
  bob,
  chatCreated,
  chatDeleted,
  designers,
  group,
  messagePosted,
  orgId,
  rootCreated,
  rootId,
  shared,
  subCreated,
  subId,
  unshared,
  user,
  workspaceId,
} from './testing/chat.fixtures.js';

const spec = deciderSpec(chatDecider);

describe('Chat state', () => {
  it('keeps the creation, with the event that made the owner', () => {
    expect(spec.given(subCreated(bob, { workspaceId })).state).toEqual({
      status: 'active',
      orgId,
      chatId: subId,
      title: 'Details',
      ownerId: bob,
      createdBy: eventRefFor(1),
      workspaceId,
      parentChatId: rootId,
      rootChatId: rootId,
      acl: PersistentOrderedMap(),
    });
  });

  it('keeps each ACL entry by subject with the ChatShared that set it; unsharing removes it', () => {
    const { state } = spec.given(
      rootCreated(alice),
      shared(user(bob), 'viewer'),
      shared(group(designers), 'viewer'),
      shared(user(bob), 'editor', 'viewer'),
      unshared(group(designers), 'viewer'),
    );
    expect(state.status === 'active' && state.acl.toObject()).toEqual({
      [`user:${bob}`]: { subject: user(bob), role: 'editor', grantedBy: eventRefFor(4) },
    });
  });

  it('a deletion is final: later events change nothing', () => {
    const { state } = spec.given(rootCreated(alice), chatDeleted(), shared(user(bob), 'editor'));
    expect(state).toMatchObject({ status: 'deleted', deletedBy: eventRefFor(2) });
    expect(state.status === 'deleted' && state.acl.size).toBe(0);
    expect(spec.given(rootCreated(alice), chatDeleted(), chatCreated(rootId, bob)).state).toMatchObject({
      status: 'deleted',
      ownerId: alice,
    });
  });

  it('a second ChatCreated does not reset a chat, and messages do not touch it', () => {
    const { state } = spec.given(rootCreated(alice), shared(user(bob), 'viewer'));
    expect(
      spec.given(rootCreated(alice), shared(user(bob), 'viewer'), chatCreated(rootId, bob)).state,
    ).toEqual(state);
    expect(spec.given(rootCreated(alice), shared(user(bob), 'viewer'), messagePosted(bob)).state).toEqual(
      state,
    );
  });
});
