import { type AccessDecision, type Reason } from '../authz/evaluate.js';
import { type Permission } from '../authz/policy.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import { type EventRef, type EventStore } from '../event-store/index.js';
import { actorOf, candidates, type ChatWorld, decide, loadChatWorld } from './chat-world.js';
import { atPosition, describeInstant, type Instant } from './instant.js';
import { type ReplaySource, type StreamSnapshots } from './stream-fold.js';

/** An event as audit answers name it: id, position, time, and who caused it. */
export interface AuditEventRef extends EventRef {
  readonly actorId: string | null;
}

/** A libs/authz reason whose events also name their actors. */
export type AuditReason = Reason extends infer R
  ? R extends Reason
    ? Omit<R, 'event' | 'membership'> & {
        readonly event: AuditEventRef;
        readonly membership?: AuditEventRef;
      }
    : never
  : never;

export interface UserAccess {
  readonly userId: string;
  readonly permissions: Permission[];
  readonly reasons: AuditReason[];
  readonly writeBlocked: null | { readonly kind: 'workspaceArchived'; readonly event: AuditEventRef };
}

export interface ChatAccessAt {
  readonly orgId: string;
  readonly chatId: string;
  readonly rootChatId: string;
  readonly asOf: { position: string } | { time: string };
  /** By user id. */
  readonly users: UserAccess[];
  /** The last user id of this page when another follows; null on the last page. */
  readonly next: string | null;
}

/** One page of an audit list: at most `limit` items after the key `after` (DESIGN.md §10). */
export interface AuditPage {
  readonly limit: number;
  /** The key of the last item seen; null for the first page. */
  readonly after: string | null;
}

/** Every item at once: for callers that are no API list (the benchmark, tests). */
export const WHOLE_LIST: AuditPage = { limit: Number.POSITIVE_INFINITY, after: null };

export interface AccessQuery {
  readonly orgId: string;
  readonly chatId: string;
  /** Default: the log's head when asked. */
  readonly asOf?: Instant;
}

export interface ReplayOptions {
  /** Snapshots kept between questions (the API keeps one set per process). */
  readonly snapshots?: StreamSnapshots;
  readonly stats?: { eventsRead: number };
}

export function replaySource(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  options: ReplayOptions = {},
): ReplaySource {
  return { eventStore, upcasters, ...options };
}

/** The instant asked about, the head of the log when none was given. */
export async function resolveInstant(eventStore: EventStore, asOf: Instant | undefined): Promise<Instant> {
  return asOf ?? atPosition(await eventStore.headPosition());
}

/**
 * Who had which permission on a chat at an instant, and why (DESIGN.md §9,
 * GET …/audit/access): the chat's bearing streams folded to the instant
 * (chat-world.ts), candidates decided by libs/authz in user id order, one
 * page after `page.after` (a user id). Null when the chat did not exist
 * then, or had been deleted (404).
 */
export async function accessAt(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  query: AccessQuery & { readonly page?: AuditPage },
  options: ReplayOptions = {},
): Promise<ChatAccessAt | null> {
  const instant = await resolveInstant(eventStore, query.asOf);
  const at = await loadChatWorld(
    replaySource(eventStore, upcasters, options),
    query.orgId,
    query.chatId,
    instant,
  );
  if (at.status !== 'live') return null;
  const { limit, after } = query.page ?? WHOLE_LIST;
  const users: UserAccess[] = [];
  let next: string | null = null;
  for (const userId of [...candidates(at.world)].sort()) {
    if (after !== null && userId <= after) continue;
    const decision = decide(at.world, userId);
    if (decision.permissions.length === 0) continue;
    if (users.length === limit) {
      next = users.at(-1)!.userId;
      break;
    }
    users.push(userAccess(at.world, userId, decision));
  }
  return {
    orgId: query.orgId,
    chatId: query.chatId,
    rootChatId: at.world.rootState.chatId,
    asOf: describeInstant(instant),
    users,
    next,
  };
}

export function userAccess(world: ChatWorld, userId: string, decision: AccessDecision): UserAccess {
  const ref = (event: EventRef): AuditEventRef => ({ ...event, actorId: actorOf(world, event.eventId) });
  return {
    userId,
    permissions: decision.permissions,
    reasons: decision.reasons.map((reason): AuditReason =>
      reason.kind === 'group'
        ? { ...reason, event: ref(reason.event), membership: ref(reason.membership) }
        : { ...reason, event: ref(reason.event) },
    ),
    writeBlocked: decision.writeBlocked && {
      ...decision.writeBlocked,
      event: ref(decision.writeBlocked.event),
    },
  };
}
