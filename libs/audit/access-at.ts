import { type AccessDecision, type Reason } from '../authz/evaluate.js';
import { type Permission } from '../authz/policy.js';
import { decideAccess } from '../domain/chat/chat-access.js';
import { subjectKey } from '../domain/chat/chat.state.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import { type EventRef, type EventStore } from '../event-store/index.js';
import {
  accessInput,
  actorOf,
  type ChatWorld,
  decide,
  everyoneWithAccess,
  type LiveChatWorld,
  loadChatWorld,
} from './chat-world.js';
import { atPosition, describeInstant, type Instant } from './instant.js';
import { type Cause, type ReplaySource, type StreamSnapshots } from './stream-fold.js';

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
  readonly users: UserAccess[];
}

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
 * (chat-world.ts), every candidate decided by libs/authz. Null when the chat
 * did not exist then, or had been deleted (404).
 */
export async function accessAt(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  query: AccessQuery,
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
  return {
    orgId: query.orgId,
    chatId: query.chatId,
    rootChatId: at.world.rootState.chatId,
    asOf: describeInstant(instant),
    users: everyoneWithAccess(at.world).map(({ userId, decision }) => userAccess(at.world, userId, decision)),
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

/** Something that withheld permissions from the user, and what lifting it alone would have granted. */
export interface Blocker {
  readonly kind:
    | 'notOrgMember'
    | 'chatSharingDisabled'
    | 'workspaceSharingDisabled'
    | 'workspaceArchived'
    | 'groupMembershipRemoved'
    | 'aclEntryRemoved'
    | 'workspaceMembershipRemoved';
  /** The group, workspace or ACL subject concerned, where there is one. */
  readonly subjectId?: string;
  /** The event that set the blocker, with its actor; null when it never was otherwise (never a member). */
  readonly cause: (AuditEventRef & { readonly type: string }) | null;
  /** What lifting this blocker alone would add, and the sources that would grant it. */
  readonly wouldGrant: { readonly permissions: Permission[]; readonly reasons: AuditReason[] };
}

export interface Explanation extends UserAccess {
  readonly orgId: string;
  readonly chatId: string;
  readonly rootChatId: string;
  readonly asOf: { position: string } | { time: string };
  /** True when the user could read the chat. */
  readonly allowed: boolean;
  /** Every blocker that withheld something, each with what it withheld. */
  readonly blockedBy: Blocker[];
}

/**
 * One user's decision on a chat at an instant with its whole chain of
 * reasons (GET …/audit/explain). A denial (and a grant short of everything)
 * also says what would have granted more and what blocked it: each blocker
 * is lifted alone on a copy of the facts, and libs/authz decides again, so
 * what it "would grant" is the policy's own answer, not a second rule.
 */
export async function explainAt(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  query: AccessQuery & { readonly userId: string },
  options: ReplayOptions = {},
): Promise<Explanation | null> {
  const instant = await resolveInstant(eventStore, query.asOf);
  const at = await loadChatWorld(
    replaySource(eventStore, upcasters, options),
    query.orgId,
    query.chatId,
    instant,
  );
  if (at.status !== 'live') return null;
  const { world } = at;
  const decision = decide(world, query.userId);
  return {
    orgId: query.orgId,
    chatId: query.chatId,
    rootChatId: world.rootState.chatId,
    asOf: describeInstant(instant),
    ...userAccess(world, query.userId, decision),
    allowed: decision.permissions.includes('read'),
    blockedBy: blockers(world, query.userId, decision),
  };
}

function blockers(world: LiveChatWorld, userId: string, decision: AccessDecision): Blocker[] {
  const found: Blocker[] = [];
  const base = accessInput(world, userId);
  const cause = (c: Cause | undefined) => (c ? { type: c.type, ...c.event, actorId: c.actorId } : null);
  /** Decides again with one fact changed; keeps the blocker when that grants more. */
  const consider = (
    kind: Blocker['kind'],
    c: Cause | undefined | null,
    lifted: Partial<typeof base>,
    subjectId?: string,
  ) => {
    const counterfactual = decideAccess({ ...base, ...lifted });
    const added = counterfactual.permissions.filter((p) => !decision.permissions.includes(p));
    if (added.length === 0) return;
    const had = new Set(decision.reasons.map((r) => JSON.stringify(r)));
    const reasons = userAccess(world, userId, {
      ...counterfactual,
      reasons: counterfactual.reasons.filter((r) => !had.has(JSON.stringify(r))),
    }).reasons;
    found.push({
      kind,
      ...(subjectId ? { subjectId } : {}),
      cause: c ? cause(c) : null,
      wouldGrant: { permissions: added, reasons },
    });
  };

  const org = world.orgState;
  const orgCauses = world.org.causes;
  if (!org.members.has(userId)) {
    const removed = orgCauses.get(`removed:${userId}`);
    const role = (removed?.data as { previousRole?: 'member' } | undefined)?.previousRole ?? 'member';
    const since = removed?.event ?? world.rootState.createdBy;
    consider('notOrgMember', removed ?? null, {
      org: { ...org, members: org.members.set(userId, { role, since }) },
    });
  }
  if (org.settings.chatSharingDisabled) {
    consider('chatSharingDisabled', orgCauses.get('settings'), {
      org: { ...org, settings: { ...org.settings, chatSharingDisabled: false } },
    });
  }
  if (org.settings.workspaceSharingDisabled) {
    consider('workspaceSharingDisabled', orgCauses.get('settings'), {
      org: { ...org, settings: { ...org.settings, workspaceSharingDisabled: false } },
    });
  }
  const workspace = world.workspace;
  if (workspace && workspace.state.status === 'active') {
    const ws = workspace.state;
    if (ws.archivedBy) {
      consider('workspaceArchived', workspace.causes.get('archived'), {
        workspace: { ...ws, archived: false, archivedBy: null },
      });
    }
    const removed = workspace.causes.get(`removed:${userId}`);
    if (!ws.members.has(userId) && removed) {
      const role = (removed.data as { previousRole: 'viewer' }).previousRole;
      consider(
        'workspaceMembershipRemoved',
        removed,
        {
          workspace: { ...ws, members: ws.members.set(userId, { role, since: removed.event }) },
        },
        ws.workspaceId,
      );
    }
  }
  for (const [groupId, cut] of world.groups) {
    const group = cut.state;
    if (group.status !== 'active' || group.members.has(userId)) continue;
    const removed = cut.causes.get(`removed:${userId}`);
    if (!removed) continue;
    consider(
      'groupMembershipRemoved',
      removed,
      {
        groups: {
          ...base.groups,
          [groupId]: { ...group, members: group.members.set(userId, { since: removed.event }) },
        },
      },
      groupId,
    );
  }
  const root = world.rootState;
  const unshared = world.root.causes.get(`unshared:user:${userId}`);
  if (unshared && !root.acl.has(subjectKey({ kind: 'user', id: userId }))) {
    const subject = { kind: 'user' as const, id: userId };
    const role = (unshared.data as { previousRole: 'viewer' }).previousRole;
    const acl = root.acl.set(subjectKey(subject), { subject, role, grantedBy: unshared.event });
    const lifted = { ...root, acl };
    consider(
      'aclEntryRemoved',
      unshared,
      {
        root: lifted,
        ...(world.chatState.chatId === root.chatId ? { chat: lifted } : {}),
      },
      userId,
    );
  }
  return found;
}
