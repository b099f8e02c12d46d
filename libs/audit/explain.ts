import { type AccessDecision } from '../authz/evaluate.js';
import { type AclRole, type OrgRole, type Permission, type WorkspaceRole } from '../authz/policy.js';
import { type ChatAccessInput, decideAccess } from '../domain/chat/chat-access.js';
import { type ChatSubject } from '../domain/chat/chat.events.js';
import { subjectKey } from '../domain/chat/chat.state.js';
import { type GroupState } from '../domain/group/group.state.js';
import { streams } from '../domain/streams.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import { type EventStore } from '../event-store/index.js';
import {
  type AccessQuery,
  type AuditEventRef,
  type AuditReason,
  type ReplayOptions,
  replaySource,
  resolveInstant,
  type UserAccess,
  userAccess,
} from './access-at.js';
import { accessInput, decide, groupFold, type LiveChatWorld, loadChatWorld } from './chat-world.js';
import { describeInstant, type Instant } from './instant.js';
import { type Cause, foldStream, type ReplaySource, type StreamCut } from './stream-fold.js';

/** Something that withheld permissions from the user, and what lifting it alone would have granted. */
export interface Blocker {
  readonly kind:
    | 'notOrgMember'
    | 'orgRoleLowered'
    | 'chatSharingDisabled'
    | 'workspaceSharingDisabled'
    | 'workspaceArchived'
    | 'groupMembershipRemoved'
    | 'groupDeleted'
    | 'aclEntryRemoved'
    | 'aclRoleLowered'
    | 'workspaceMembershipRemoved'
    | 'workspaceRoleLowered';
  /** The group, workspace or ACL subject (user or group) concerned, where there is one. */
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
 *
 * Besides the chat's bearing streams, it folds the groups whose entries were
 * removed from the root's ACL (they no longer bear on the chat, but an
 * auditor asks whether their removal took access away).
 */
export async function explainAt(
  eventStore: EventStore,
  upcasters: UpcasterRegistry,
  query: AccessQuery & { readonly userId: string },
  options: ReplayOptions = {},
): Promise<Explanation | null> {
  const instant = await resolveInstant(eventStore, query.asOf);
  const source = replaySource(eventStore, upcasters, options);
  const at = await loadChatWorld(source, query.orgId, query.chatId, instant);
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
    blockedBy: blockers(world, query.userId, decision, await unsharedGroups(source, world, instant)),
  };
}

/** The groups once on the root's ACL and unshared since, folded to the instant. */
async function unsharedGroups(
  source: ReplaySource,
  world: LiveChatWorld,
  instant: Instant,
): Promise<Map<string, StreamCut<GroupState>>> {
  const ids: string[] = [];
  for (const key of world.root.causes.keys()) {
    const groupId = key.startsWith('unshared:group:') ? key.slice('unshared:group:'.length) : null;
    if (groupId && !world.rootState.acl.has(subjectKey({ kind: 'group', id: groupId }))) ids.push(groupId);
  }
  const cuts = await Promise.all(
    ids.map(
      async (id) =>
        [id, await foldStream(source, groupFold, streams.group(world.orgId, id), instant)] as const,
    ),
  );
  return new Map(cuts);
}

/**
 * Every single fact whose change took something from the user, each lifted
 * alone; `formerGroups` are the groups unshared from the root (see explainAt).
 */
export function blockers(
  world: LiveChatWorld,
  userId: string,
  decision: AccessDecision,
  formerGroups: ReadonlyMap<string, StreamCut<GroupState>> = new Map(),
): Blocker[] {
  const found: Blocker[] = [];
  const base = accessInput(world, userId);
  const had = new Set(decision.reasons.map((r) => JSON.stringify(r)));
  // Actors are looked up in the former groups' streams too: a lifted entry names their memberships.
  const named = { ...world, groups: new Map([...world.groups, ...formerGroups]) };
  /** Decides again with one fact changed; keeps the blocker when that grants more. */
  const consider = (
    kind: Blocker['kind'],
    cause: Cause | undefined | null,
    lifted: Partial<ChatAccessInput>,
    subjectId?: string,
  ) => {
    const counterfactual = decideAccess({ ...base, ...lifted });
    const added = counterfactual.permissions.filter((p) => !decision.permissions.includes(p));
    if (added.length === 0) return;
    const reasons = userAccess(named, userId, {
      ...counterfactual,
      reasons: counterfactual.reasons.filter((r) => !had.has(JSON.stringify(r))),
    }).reasons;
    found.push({
      kind,
      ...(subjectId ? { subjectId } : {}),
      cause: cause ? { type: cause.type, ...cause.event, actorId: cause.actorId } : null,
      wouldGrant: { permissions: added, reasons },
    });
  };

  orgBlockers(world, userId, consider);
  workspaceBlockers(world, userId, consider);
  groupBlockers(world, userId, base, consider);
  aclBlockers(world, userId, base, formerGroups, consider);
  return found;
}

type Consider = (
  kind: Blocker['kind'],
  cause: Cause | undefined | null,
  lifted: Partial<ChatAccessInput>,
  subjectId?: string,
) => void;

function previousRole<Role>(cause: Cause): Role {
  return (cause.data as { previousRole: Role }).previousRole;
}

/** Not a member (removed, or never one), a role changed down, and the sharing switches. */
function orgBlockers(world: LiveChatWorld, userId: string, consider: Consider): void {
  const org = world.orgState;
  const causes = world.org.causes;
  const member = org.members.get(userId);
  if (!member) {
    const removed = causes.get(`removed:${userId}`);
    const role = removed ? previousRole<OrgRole>(removed) : 'member';
    const since = removed?.event ?? world.rootState.createdBy;
    consider('notOrgMember', removed ?? null, {
      org: { ...org, members: org.members.set(userId, { role, since }) },
    });
  } else {
    const changed = causes.get(`roleChanged:${userId}`);
    if (changed && changed.event.eventId === member.since.eventId) {
      consider('orgRoleLowered', changed, {
        org: {
          ...org,
          members: org.members.set(userId, { role: previousRole<OrgRole>(changed), since: changed.event }),
        },
      });
    }
  }
  if (org.settings.chatSharingDisabled) {
    consider('chatSharingDisabled', causes.get('settings'), {
      org: { ...org, settings: { ...org.settings, chatSharingDisabled: false } },
    });
  }
  if (org.settings.workspaceSharingDisabled) {
    consider('workspaceSharingDisabled', causes.get('settings'), {
      org: { ...org, settings: { ...org.settings, workspaceSharingDisabled: false } },
    });
  }
}

/** The archive, and the user's workspace role removed or changed down. */
function workspaceBlockers(world: LiveChatWorld, userId: string, consider: Consider): void {
  const workspace = world.workspace;
  if (!workspace || workspace.state.status !== 'active') return;
  const ws = workspace.state;
  if (ws.archivedBy) {
    consider('workspaceArchived', workspace.causes.get('archived'), {
      workspace: { ...ws, archived: false, archivedBy: null },
    });
  }
  const member = ws.members.get(userId);
  const restore = (cause: Cause) => ({
    workspace: {
      ...ws,
      members: ws.members.set(userId, { role: previousRole<WorkspaceRole>(cause), since: cause.event }),
    },
  });
  const removed = workspace.causes.get(`removed:${userId}`);
  if (!member && removed) consider('workspaceMembershipRemoved', removed, restore(removed), ws.workspaceId);
  const changed = workspace.causes.get(`roleChanged:${userId}`);
  if (member && changed && changed.event.eventId === member.since.eventId) {
    consider('workspaceRoleLowered', changed, restore(changed), ws.workspaceId);
  }
}

/** Removal from a group on the root's ACL, and the deletion of such a group. */
function groupBlockers(
  world: LiveChatWorld,
  userId: string,
  base: ChatAccessInput,
  consider: Consider,
): void {
  const withGroup = (groupId: string, group: GroupState) => ({
    groups: { ...base.groups, [groupId]: group },
  });
  for (const [groupId, cut] of world.groups) {
    const group = cut.state;
    if (group.status === 'deleted') {
      // The group as it stood just before its deletion (stream-fold.ts keeps it on the cause).
      const deleted = cut.causes.get('deleted');
      const before = deleted?.before as GroupState | undefined;
      if (deleted && before?.status === 'active' && before.members.has(userId)) {
        consider('groupDeleted', deleted, withGroup(groupId, before), groupId);
      }
      continue;
    }
    if (group.status !== 'active' || group.members.has(userId)) continue;
    const removed = cut.causes.get(`removed:${userId}`);
    if (!removed) continue;
    consider(
      'groupMembershipRemoved',
      removed,
      withGroup(groupId, { ...group, members: group.members.set(userId, { since: removed.event }) }),
      groupId,
    );
  }
}

/**
 * Root ACL entries that would grant the user: their own or a group's they
 * belong to, removed (`ChatUnshared`) or shared again with a lower role.
 */
function aclBlockers(
  world: LiveChatWorld,
  userId: string,
  base: ChatAccessInput,
  formerGroups: ReadonlyMap<string, StreamCut<GroupState>>,
  consider: Consider,
): void {
  const root = world.rootState;
  const causes = world.root.causes;
  const withEntry = (subject: ChatSubject, role: AclRole, grantedBy: Cause['event']) => {
    const lifted = { ...root, acl: root.acl.set(subjectKey(subject), { subject, role, grantedBy }) };
    // A root's own question lifts its chat too: they are one state.
    return { root: lifted, ...(world.chatState.chatId === root.chatId ? { chat: lifted } : {}) };
  };
  const isMember = (group: GroupState | undefined) => group?.status === 'active' && group.members.has(userId);

  // Removed entries: the user's own, and those of groups the user belongs to at the instant.
  const removedFor: Array<{ subject: ChatSubject; groups?: ChatAccessInput['groups'] }> = [];
  if (!root.acl.has(subjectKey({ kind: 'user', id: userId })))
    removedFor.push({ subject: { kind: 'user', id: userId } });
  for (const [groupId, cut] of formerGroups) {
    if (isMember(cut.state))
      removedFor.push({
        subject: { kind: 'group', id: groupId },
        groups: { ...base.groups, [groupId]: cut.state },
      });
  }
  for (const { subject, groups } of removedFor) {
    const unshared = causes.get(`unshared:${subject.kind}:${subject.id}`);
    if (!unshared) continue;
    // The entry as its last ChatShared set it, before the unshare.
    const grantedBy = causes.get(`shared:${subject.kind}:${subject.id}`)?.event ?? unshared.event;
    consider(
      'aclEntryRemoved',
      unshared,
      { ...withEntry(subject, previousRole<AclRole>(unshared), grantedBy), ...(groups ? { groups } : {}) },
      subject.id,
    );
  }

  // Entries shared again with a lower role.
  for (const { subject, grantedBy } of root.acl.values()) {
    if (subject.kind === 'user' ? subject.id !== userId : !isMember(world.groups.get(subject.id)?.state))
      continue;
    const shared = causes.get(`shared:${subject.kind}:${subject.id}`);
    const before = shared && previousRole<AclRole | null>(shared);
    if (!shared || !before || shared.event.eventId !== grantedBy.eventId) continue;
    consider('aclRoleLowered', shared, withEntry(subject, before, grantedBy), subject.id);
  }
}
