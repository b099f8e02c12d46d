import { OperationCounter } from '../../test/support/operation-counter.js';
import { eventRefFor } from '../event-store/testing/event-refs.js';
import { chatDecider } from './chat/chat.decider.js';
import { type ChatEvent } from './chat/chat.events.js';
import { groupDecider } from './group/group.decider.js';
import { type GroupEvent } from './group/group.events.js';
import { type Decider, type DomainEvent, type Recorded } from './kernel/index.js';
import { organizationDecider } from './organization/organization.decider.js';
import { type OrganizationEvent } from './organization/organization.events.js';
import { reservationDecider, type ReservationEvent } from './reservation/reservation.decider.js';
import { userDecider } from './user/user.decider.js';
import { type UserEvent } from './user/user.events.js';
import { workspaceDecider } from './workspace/workspace.decider.js';
import { type WorkspaceEvent } from './workspace/workspace.events.js';

/**
 * STYLE.md's smell "a fold that copies the whole state per event": replaying
 * n events then costs O(n²), which is what made a post in an org of 2,900
 * members take a second. Every decider's `evolve` must do O(1) work per
 * event, so the work per event, COUNTED (test/support/operation-counter.ts),
 * must not grow with the length of the stream: 16 times more events may not
 * cost more than half as much again per event. A fold that copies its member
 * map costs 16 times more per event here.
 */
const SHORT = 250;
const LONG = 16 * SHORT;

const orgId = '0b7d2c6e-1d1f-4d4e-9a49-0d8f3c2a1b10';
const id = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

interface Stream<Event extends DomainEvent, State> {
  readonly decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>;
  /** Events that create the aggregate. */
  readonly given: Event[];
  /** The i-th event of a stream that keeps growing the state (adds, with changes and removals mixed in). */
  readonly grow: (i: number) => Event;
}

/** Operations per event of folding `given` then `n` growing events, each evolve handed a counted state. */
function operationsPerEvent<Event extends DomainEvent, State>(
  stream: Stream<Event, State>,
  n: number,
): number {
  const counter = new OperationCounter();
  let state = stream.decider.initialState;
  const events = [...stream.given, ...Array.from({ length: n }, (_, i) => stream.grow(i))];
  events.forEach((event, i) => {
    const recorded = { ...event, ref: eventRefFor(i + 1) } as Recorded<Event>;
    state = stream.decider.evolve(counter.wrap(state), recorded);
  });
  return counter.count / events.length;
}

function expectLinear<Event extends DomainEvent, State>(stream: Stream<Event, State>): void {
  const short = operationsPerEvent(stream, SHORT);
  const long = operationsPerEvent(stream, LONG);
  expect({ short, long, linear: long <= short * 1.5 }).toEqual({ short, long, linear: true });
}

const streams = {
  organization: {
    decider: organizationDecider,
    given: [
      { type: 'OrganizationCreated', data: { orgId, slug: 'acme', name: 'Acme', createdBy: id(0) } },
      { type: 'OrgMemberAdded', data: { orgId, userId: id(0), role: 'owner' } },
    ],
    grow: (i) =>
      i % 7 === 6
        ? { type: 'OrgMemberRemoved', data: { orgId, userId: id(i), previousRole: 'member' } }
        : i % 5 === 4
          ? {
              type: 'MemberRoleChanged',
              data: {
                scope: 'organization',
                orgId,
                userId: id(i - 1),
                role: 'owner',
                previousRole: 'member',
              },
            }
          : i % 11 === 10
            ? {
                type: 'OrgSettingsChanged',
                data: {
                  orgId,
                  settings: { chatSharingDisabled: true, workspaceSharingDisabled: false },
                  previous: { chatSharingDisabled: false, workspaceSharingDisabled: false },
                },
              }
            : { type: 'OrgMemberAdded', data: { orgId, userId: id(i + 1), role: 'member' } },
  } satisfies Stream<OrganizationEvent, unknown>,
  workspace: {
    decider: workspaceDecider,
    given: [
      {
        type: 'WorkspaceCreated',
        data: { orgId, workspaceId: id(0), slug: 'design', name: 'Design', createdBy: id(0) },
      },
    ],
    grow: (i) =>
      i % 7 === 6
        ? {
            type: 'WorkspaceMemberRemoved',
            data: { orgId, workspaceId: id(0), userId: id(i), previousRole: 'member' },
          }
        : i % 5 === 4
          ? {
              type: 'MemberRoleChanged',
              data: {
                scope: 'workspace',
                orgId,
                workspaceId: id(0),
                userId: id(i - 1),
                role: 'owner',
                previousRole: 'member',
              },
            }
          : i % 13 === 12
            ? { type: 'WorkspaceArchived', data: { orgId, workspaceId: id(0) } }
            : {
                type: 'WorkspaceMemberAdded',
                data: { orgId, workspaceId: id(0), userId: id(i + 1), role: 'member' },
              },
  } satisfies Stream<WorkspaceEvent, unknown>,
  group: {
    decider: groupDecider,
    given: [{ type: 'GroupCreated', data: { orgId, groupId: id(0), name: 'Designers' } }],
    grow: (i) =>
      i % 7 === 6
        ? { type: 'GroupMemberRemoved', data: { orgId, groupId: id(0), userId: id(i) } }
        : { type: 'GroupMemberAdded', data: { orgId, groupId: id(0), userId: id(i + 1) } },
  } satisfies Stream<GroupEvent, unknown>,
  chat: {
    decider: chatDecider,
    given: [
      {
        type: 'ChatCreated',
        data: {
          orgId,
          chatId: id(0),
          title: 'Plans',
          ownerId: id(0),
          workspaceId: null,
          parentChatId: null,
          rootChatId: id(0),
        },
      },
    ],
    grow: (i) =>
      i % 7 === 6
        ? {
            type: 'ChatUnshared',
            data: { orgId, chatId: id(0), subject: { kind: 'user', id: id(i) }, previousRole: 'viewer' },
          }
        : i % 9 === 8
          ? {
              type: 'ChatRenamed',
              data: { orgId, chatId: id(0), title: `Plans ${i}`, previousTitle: 'Plans' },
            }
          : {
              type: 'ChatShared',
              data: {
                orgId,
                chatId: id(0),
                subject: { kind: i % 2 ? 'group' : 'user', id: id(i + 1) },
                role: 'viewer',
                previousRole: null,
              },
            },
  } satisfies Stream<ChatEvent, unknown>,
  user: {
    decider: userDecider,
    given: [
      { type: 'UserRegistered', data: { userId: id(0), email: 'ada@example.com', displayName: 'Ada' } },
    ],
    grow: (i) =>
      i % 3 === 2
        ? { type: 'ApiTokenRevoked', data: { userId: id(0), tokenId: id(i) } }
        : i % 50 === 49
          ? { type: 'UserSuspended', data: { userId: id(0) } }
          : {
              type: 'ApiTokenIssued',
              data: {
                userId: id(0),
                tokenId: id(i + 1),
                name: `t${i}`,
                prefix: 'abcdefgh',
                hash: 'f'.repeat(64),
              },
            },
  } satisfies Stream<UserEvent, unknown>,
  reservation: {
    decider: reservationDecider,
    given: [],
    grow: (i) =>
      i % 2
        ? { type: 'SlugReleased', data: { slug: 'acme', ownerId: id(i - 1) } }
        : { type: 'SlugReserved', data: { slug: 'acme', ownerId: id(i) } },
  } satisfies Stream<ReservationEvent, unknown>,
};

describe('every fold is linear: O(1) counted operations per event', () => {
  it.each(Object.keys(streams) as (keyof typeof streams)[])('%s', (name) => {
    expectLinear(streams[name] as Stream<DomainEvent, unknown>);
  });

  it('would catch a fold that copies its member map per event', () => {
    type Added = DomainEvent<'Added', { userId: string }>;
    const copying: Stream<Added, { members: Readonly<Record<string, true>> }> = {
      decider: {
        initialState: { members: {} },
        evolve: (state, event) => ({ members: { ...state.members, [event.data.userId]: true } }),
      },
      given: [],
      grow: (i) => ({ type: 'Added', data: { userId: id(i) } }),
    };
    // Shorter streams than above: the quadratic fold is slow to count.
    const short = operationsPerEvent(copying, SHORT / 5);
    const long = operationsPerEvent(copying, LONG / 5);
    expect(long).toBeGreaterThan(short * 8);
  });
});
