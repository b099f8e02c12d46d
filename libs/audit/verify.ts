import { type ExistingChat } from '../domain/chat/chat.state.js';
import { type RecordedEvent } from '../event-store/index.js';
import { type OrgWorld } from './org-replay.js';

/** One (user, chat) row of effective access, as `chat_access` holds it and a replay computes it. */
export interface AccessRow {
  readonly chatId: string;
  readonly userId: string;
  readonly permissions: readonly string[];
  readonly writeBlocked: boolean;
}

export interface AccessDifference {
  readonly chatId: string;
  readonly userId: string;
  /** What the replay computed; null when it grants nothing. */
  readonly replayed: { permissions: readonly string[]; writeBlocked: boolean } | null;
  /** What the read model holds; null when it has no row. */
  readonly live: { permissions: readonly string[]; writeBlocked: boolean } | null;
}

/** Every (user, chat) on which the two sets of rows disagree, sorted by chat then user. */
export function diffAccess(replayed: Iterable<AccessRow>, live: Iterable<AccessRow>): AccessDifference[] {
  const key = (row: AccessRow) => `${row.chatId}/${row.userId}`;
  const value = (row: AccessRow) => ({ permissions: [...row.permissions], writeBlocked: row.writeBlocked });
  const expected = new Map<string, AccessRow>();
  for (const row of replayed) expected.set(key(row), row);
  const actual = new Map<string, AccessRow>();
  for (const row of live) actual.set(key(row), row);
  const differences: AccessDifference[] = [];
  for (const k of new Set([...expected.keys(), ...actual.keys()])) {
    const a = expected.get(k);
    const b = actual.get(k);
    if (a && b && a.permissions.join() === b.permissions.join() && a.writeBlocked === b.writeBlocked)
      continue;
    const { chatId, userId } = (a ?? b)!;
    differences.push({ chatId, userId, replayed: a ? value(a) : null, live: b ? value(b) : null });
  }
  return differences.sort((x, y) =>
    x.chatId === y.chatId ? (x.userId < y.userId ? -1 : 1) : x.chatId < y.chatId ? -1 : 1,
  );
}

const ORG_STREAM = /^org-([0-9a-f-]{36})\/organization$/;

/** The org whose creation this event is, or null: for `verify --all`, which finds orgs in the log. */
export function createdOrgId(event: RecordedEvent): string | null {
  if (event.type !== 'OrganizationCreated') return null;
  return ORG_STREAM.exec(event.streamName)?.[1] ?? null;
}

/**
 * A chat as the `chats` read model holds it and a replay knows it: the tree
 * (root, parent, ancestors), workspace, owner, title, creation and deletion.
 * `deletedAt` is the time of the first deletion of the chat or an ancestor
 * (a deleted chat takes its subtree with it); times are ISO-8601.
 */
export interface ChatRow {
  readonly chatId: string;
  readonly title: string;
  readonly ownerId: string;
  readonly rootChatId: string;
  readonly parentChatId: string | null;
  readonly workspaceId: string | null;
  /** Root first, parent last. */
  readonly ancestorIds: readonly string[];
  readonly createdPosition: string;
  readonly createdAt: string;
  readonly deletedAt: string | null;
}

/** One entry of a chat's ACL as `chat_acl_entries` holds it and a replay knows it. */
export interface AclRow {
  readonly chatId: string;
  readonly subjectKind: 'user' | 'group';
  readonly subjectId: string;
  readonly role: string;
  /** The ChatShared that set the role: its id, position and time. */
  readonly grantedEventId: string;
  readonly grantedPosition: string;
  readonly grantedOccurredAt: string;
}

/** Every chat the org's replay knows, deleted ones included (the read model keeps their rows). */
export function* chatRows(world: OrgWorld): Generator<ChatRow> {
  const existing = (id: string | null): ExistingChat | null => {
    const state = id === null ? undefined : world.chats.get(id)?.state;
    return state && state.status !== 'absent' ? state : null;
  };
  for (const [chatId, cut] of world.chats) {
    const chat = cut.state;
    if (chat.status === 'absent') continue;
    const ancestors: ExistingChat[] = [];
    for (let next = existing(chat.parentChatId); next !== null; next = existing(next.parentChatId)) {
      ancestors.unshift(next);
      if (ancestors.length > world.chats.size) throw new Error(`the parents of chat ${chatId} loop`);
    }
    const deletions = [chat, ...ancestors].flatMap((c) => (c.status === 'deleted' ? [c.deletedBy] : []));
    const firstDeletion = deletions.sort((a, b) => (a.position < b.position ? -1 : 1))[0];
    yield {
      chatId,
      title: chat.title,
      ownerId: chat.ownerId,
      rootChatId: chat.rootChatId,
      parentChatId: chat.parentChatId,
      workspaceId: chat.workspaceId,
      ancestorIds: ancestors.map((a) => a.chatId),
      createdPosition: chat.createdBy.position,
      createdAt: isoTime(chat.createdBy.occurredAt),
      deletedAt: firstDeletion ? isoTime(firstDeletion.occurredAt) : null,
    };
  }
}

/** Every ACL entry of every chat the replay knows (entries stay on deleted chats, as in the read model). */
export function* aclRows(world: OrgWorld): Generator<AclRow> {
  for (const [chatId, cut] of world.chats) {
    if (cut.state.status === 'absent') continue;
    for (const { subject, role, grantedBy } of cut.state.acl.values()) {
      yield {
        chatId,
        subjectKind: subject.kind,
        subjectId: subject.id,
        role,
        grantedEventId: grantedBy.eventId,
        grantedPosition: grantedBy.position,
        grantedOccurredAt: isoTime(grantedBy.occurredAt),
      };
    }
  }
}

/** One time in one spelling, whichever of the log's or Postgres's it came in. */
export function isoTime(time: string | Date): string {
  return new Date(time).toISOString();
}

/** A row on which the replay and a read model disagree: its table, its key, and both versions. */
export interface RowDifference<Row> {
  readonly table: string;
  readonly key: string;
  /** What the replay computed; null when it has no such row. */
  readonly replayed: Row | null;
  /** What the read model holds; null when it has no such row. */
  readonly live: Row | null;
  /** The fields that differ (every field when one side has no row). */
  readonly fields: string[];
}

/**
 * Every row on which two sets disagree, by key, sorted by key: a row missing
 * on one side, or any field that differs (arrays compared element by element).
 */
export function diffRows<Row extends object>(
  table: string,
  keyOf: (row: Row) => string,
  replayed: Iterable<Row>,
  live: Iterable<Row>,
): Array<RowDifference<Row>> {
  const expected = new Map<string, Row>();
  for (const row of replayed) expected.set(keyOf(row), row);
  const actual = new Map<string, Row>();
  for (const row of live) actual.set(keyOf(row), row);
  const differences: Array<RowDifference<Row>> = [];
  for (const key of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
    const a = expected.get(key) ?? null;
    const b = actual.get(key) ?? null;
    const fields = Object.keys(a ?? b!).filter(
      (field) => !a || !b || JSON.stringify(a[field as keyof Row]) !== JSON.stringify(b[field as keyof Row]),
    );
    if (fields.length > 0) differences.push({ table, key, replayed: a, live: b, fields });
  }
  return differences;
}

export const chatKey = (row: ChatRow) => row.chatId;
export const aclKey = (row: AclRow) => `${row.chatId}/${row.subjectKind}:${row.subjectId}`;
