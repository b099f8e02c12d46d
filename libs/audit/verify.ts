import { type RecordedEvent } from '../event-store/index.js';

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
