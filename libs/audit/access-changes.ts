import { type Permission } from '../authz/policy.js';
import { type ChatState } from '../domain/chat/chat.state.js';
import { type GroupState } from '../domain/group/group.state.js';
import { streams } from '../domain/streams.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import { eventRefOf, type EventStore, type RecordedEvent, START } from '../event-store/index.js';
import { type AuditPage, type ReplayOptions, replaySource, resolveInstant, WHOLE_LIST } from './access-at.js';
import {
  candidates,
  chatFold,
  type ChatWorld,
  classify,
  decide,
  groupFold,
  orgFold,
  workspaceFold,
} from './chat-world.js';
import { atPosition, describeInstant, type Instant } from './instant.js';
import { type Fold, step, type StreamCut, streamInterval } from './stream-fold.js';

export interface AccessChange {
  readonly userId: string;
  readonly before: Permission[];
  readonly after: Permission[];
  /** The event after which the user's permissions differ. */
  readonly event: {
    readonly type: string;
    readonly eventId: string;
    readonly position: string;
    readonly occurredAt: string;
    readonly actorId: string | null;
    readonly streamName: string;
  };
}

export interface AccessChanges {
  readonly orgId: string;
  readonly chatId: string;
  readonly from: { position: string } | { time: string };
  readonly to: { position: string } | { time: string };
  /** In log order; within one event, by user id: in {@link changeKey} order. */
  readonly items: AccessChange[];
  /** The key of this page's last change when another page follows; null on the last page. */
  readonly next: string | null;
}

/**
 * A change's page key: its event's position and its user, `<position>-<user id>`.
 * One event changes a user at most once, so the key is unique; both parts
 * are fixed-width lower-case hex, so the keys' text order is (position,
 * user) order, the order of the list.
 */
export function changeKey(change: {
  readonly userId: string;
  readonly event: { readonly position: string };
}) {
  return `${change.event.position}-${change.userId}`;
}

const CHANGE_KEY = /^[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `key` is one {@link changeKey} makes: what a cursor of the list must hold. */
export function isChangeKey(key: string): boolean {
  return CHANGE_KEY.test(key);
}

type Slot = 'org' | 'chat' | 'root' | 'workspace' | `ancestor:${number}` | `group:${string}`;

/**
 * Every change of effective access to a chat in the interval (from, to]
 * (DESIGN.md §9, GET …/audit/access-changes): the streams bearing on the chat
 * are each folded to `from`, then their events in the interval are merged in
 * log order and applied one by one; after each, libs/authz decides again for
 * the users the event can concern (the event's user; everyone who could hold
 * anything, for org settings, archives, group shares, deletions), and every
 * difference is a change. A group membership counts like an ACL change: the
 * group's stream is one of the bearing streams.
 *
 * The groups read are those on the root's ACL at `from` and those shared in
 * the interval. Null when the chat neither existed at `from` nor was created
 * in the interval (404).
 */
export async function accessChanges(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  query: { orgId: string; chatId: string; from?: Instant; to?: Instant; page?: AuditPage },
  options: ReplayOptions = {},
): Promise<AccessChanges | null> {
  const { limit, after } = query.page ?? WHOLE_LIST;
  const { orgId, chatId } = query;
  const source = replaySource(eventStore, upcasters, options);
  const from = query.from ?? atPosition(START);
  const to = await resolveInstant(eventStore, query.to);
  const interval = <S>(fold: Fold<S>, streamName: string) =>
    streamInterval(source, fold, streamName, from, to);

  const chat = await interval(chatFold, streams.chat(orgId, chatId));
  const chatAtEnd = chat.events.reduce((cut, e) => step(chatFold, upcasters, cut, e), chat.start).state;
  if (chatAtEnd.status === 'absent') return null;
  const isRoot = chatAtEnd.rootChatId === chatId;
  const root = isRoot ? chat : await interval(chatFold, streams.chat(orgId, chatAtEnd.rootChatId));
  const ancestorIds: string[] = [];
  for (let next = chatAtEnd.parentChatId; next !== null && next !== chatAtEnd.rootChatId;) {
    if (ancestorIds.includes(next) || next === chatId) throw new Error(`the parents of ${chatId} loop`);
    ancestorIds.push(next);
    const parent = await interval(chatFold, streams.chat(orgId, next));
    const state = parent.events.reduce((cut, e) => step(chatFold, upcasters, cut, e), parent.start).state;
    if (state.status === 'absent') break;
    next = state.parentChatId;
  }
  const rootStart = root.start.state;
  const groupIds = new Set<string>();
  if (rootStart.status !== 'absent') {
    for (const { subject } of rootStart.acl.values()) if (subject.kind === 'group') groupIds.add(subject.id);
  }
  for (const event of root.events) {
    const subject = (event.data as { subject?: { kind: string; id: string } }).subject;
    if (event.type === 'ChatShared' && subject?.kind === 'group') groupIds.add(subject.id);
  }
  const workspaceId = chatAtEnd.workspaceId;
  const [org, ancestors, workspace, groups] = await Promise.all([
    interval(orgFold, streams.organization(orgId)),
    Promise.all(ancestorIds.map((id) => interval(chatFold, streams.chat(orgId, id)))),
    workspaceId === null ? null : interval(workspaceFold, streams.workspace(orgId, workspaceId)),
    Promise.all(
      [...groupIds].map(async (id) => [id, await interval(groupFold, streams.group(orgId, id))] as const),
    ),
  ]);

  // The merged interval, each event with the slot of the world it moves.
  const folds = new Map<Slot, Fold<unknown>>();
  const cuts = new Map<Slot, StreamCut<unknown>>();
  const merged: Array<{ slot: Slot; event: RecordedEvent }> = [];
  const add = <S>(slot: Slot, fold: Fold<S>, part: { start: StreamCut<S>; events: RecordedEvent[] }) => {
    folds.set(slot, fold as Fold<unknown>);
    cuts.set(slot, part.start as StreamCut<unknown>);
    for (const event of part.events) merged.push({ slot, event });
  };
  add('org', orgFold, org);
  add('chat', chatFold, chat);
  if (!isRoot) add('root', chatFold, root);
  ancestors.forEach((part, i) => add(`ancestor:${i}`, chatFold, part));
  if (workspace) add('workspace', workspaceFold, workspace);
  for (const [id, part] of groups) add(`group:${id}`, groupFold, part);
  merged.sort((a, b) =>
    a.event.position < b.event.position ? -1 : a.event.position > b.event.position ? 1 : 0,
  );

  const world = (): ChatWorld => ({
    orgId,
    chatId,
    org: cuts.get('org') as ChatWorld['org'],
    chat: cuts.get('chat') as StreamCut<ChatState>,
    root: (cuts.get(isRoot ? 'chat' : 'root') ?? cuts.get('chat')) as StreamCut<ChatState>,
    ancestors: ancestorIds.map((_, i) => cuts.get(`ancestor:${i}`) as StreamCut<ChatState>),
    workspace: (cuts.get('workspace') ?? null) as ChatWorld['workspace'],
    groups: new Map([...groupIds].map((id) => [id, cuts.get(`group:${id}`) as StreamCut<GroupState>])),
  });
  /** Permissions by user for the users asked about (all candidates when `users` is null). */
  const access = (users: readonly string[] | null): Map<string, Permission[]> => {
    const at = classify(world());
    const result = new Map<string, Permission[]>();
    if (at.status !== 'live') {
      for (const userId of users ?? []) result.set(userId, []);
      return result;
    }
    for (const userId of users ?? candidates(at.world))
      result.set(userId, decide(at.world, userId).permissions);
    return result;
  };

  let current = access(null);
  const items: AccessChange[] = [];
  // A page replays from `from` as the first did, and keeps the changes past
  // its cursor; it stops once it holds one change more than it answers.
  for (const { slot, event } of merged) {
    if (items.length > limit) break;
    cuts.set(slot, step(folds.get(slot)!, upcasters, cuts.get(slot)!, event));
    const user = concernedUser(event);
    const asked = user !== null ? [user] : [...new Set([...current.keys(), ...access(null).keys()])];
    const next = access(asked);
    for (const userId of [...asked].sort()) {
      const before = current.get(userId) ?? [];
      const afterward = next.get(userId) ?? [];
      if (before.join() !== afterward.join()) {
        const change: AccessChange = {
          userId,
          before,
          after: afterward,
          event: {
            type: event.type,
            ...eventRefOf(event),
            actorId: event.metadata.actorId,
            streamName: event.streamName,
          },
        };
        if (after === null || changeKey(change) > after) items.push(change);
      }
    }
    if (user !== null) {
      // In place: `current` is this loop's own, and copying it per event would make a long history quadratic.
      const now = next.get(user) ?? [];
      if (now.length > 0) current.set(user, now);
      else current.delete(user);
    } else {
      current = new Map([...next].filter(([, permissions]) => permissions.length > 0));
    }
  }
  const more = items.length > limit;
  const page = more ? items.slice(0, limit) : items;
  return {
    orgId,
    chatId,
    from: describeInstant(from),
    to: describeInstant(to),
    items: page,
    next: more ? changeKey(page.at(-1)!) : null,
  };
}

/** The one user an event can change access for, or null when it can change anyone's. */
function concernedUser(event: RecordedEvent): string | null {
  const data = event.data as { userId?: string; subject?: { kind: string; id: string } };
  switch (event.type) {
    case 'OrgMemberAdded':
    case 'OrgMemberRemoved':
    case 'MemberRoleChanged':
    case 'GroupMemberAdded':
    case 'GroupMemberRemoved':
    case 'WorkspaceMemberAdded':
    case 'WorkspaceMemberRemoved':
      return data.userId ?? null;
    case 'ChatShared':
    case 'ChatUnshared':
      return data.subject?.kind === 'user' ? data.subject.id : null;
    default:
      return null;
  }
}
