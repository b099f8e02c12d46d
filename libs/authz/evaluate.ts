import { type EventRef } from '../event-store/event-envelope.js';
import { AccessFactsError, type ChatAccessFacts } from './access-facts.js';
import {
  ACCESS_POLICY,
  type AclRole,
  type OrgRole,
  type Permission,
  unionPermissions,
  type WorkspaceRole,
  withoutPermissions,
} from './policy.js';

interface ReasonBase {
  /** What this source grants, after the archive block: always a subset of the decision's permissions. */
  readonly permissions: Permission[];
  /** The event that established the source. */
  readonly event: EventRef;
}

/** Why a user holds permissions on a chat: one per source that grants something (DESIGN.md §5). */
export type Reason =
  /** Owns the root chat; `event` is the root's `ChatCreated`. */
  | (ReasonBase & { readonly kind: 'owner' })
  /** Org owner or admin; `event` set the org role. */
  | (ReasonBase & { readonly kind: 'orgRole'; readonly role: OrgRole })
  /** An ACL entry for the user on the root; `event` is its `ChatShared`. */
  | (ReasonBase & { readonly kind: 'direct'; readonly role: AclRole })
  /**
   * An ACL entry for a group the user belongs to. `event` is the entry's
   * `ChatShared`; the grant also needs the user's membership of the group,
   * so `membership` names that event too (an auditor asking "since when"
   * wants the later of the two).
   */
  | (ReasonBase & {
      readonly kind: 'group';
      readonly role: AclRole;
      /** The group's id. */
      readonly subjectId: string;
      readonly membership: EventRef;
    })
  /** A membership of the root's workspace; `event` set the workspace role. */
  | (ReasonBase & { readonly kind: 'workspace'; readonly role: WorkspaceRole; readonly workspaceId: string });

export type ReasonKind = Reason['kind'];

export interface AccessDecision {
  /** In policy order, without duplicates. */
  readonly permissions: Permission[];
  /** In rule order: owner, orgRole, direct, group (by group id), workspace. */
  readonly reasons: Reason[];
  /**
   * Set when the root's workspace is archived, so callers answer a write
   * with 410 rather than 403 (§5 HTTP status rules). It is set for every
   * user who passes rule 1, not only for those who lost `write` to it:
   * 410 "takes precedence over 403 for callers who can read", so a viewer
   * gets 410 too. Callers check `read` first, so it never confirms a chat
   * to someone who cannot read it.
   */
  readonly writeBlocked: null | { readonly kind: 'workspaceArchived'; readonly event: EventRef };
}

/**
 * Effective access of one user on one chat: DESIGN.md §5 "Effective access",
 * the one function the command side, the projectors and audit replay share.
 *
 * Decisions on points §5 leaves open:
 * - Sources are independent: only the org ROLE of an auditor or member grants
 *   nothing (rule 6). An auditor or member who owns the root, is on its ACL
 *   or belongs to its workspace gets what that source grants.
 * - A reason is listed when its source grants something under the current
 *   rules, even if another source grants more (every applicable ACL entry is
 *   listed, not only the highest). A source the rules make inert (ACL entries
 *   while `chatSharingDisabled`, non-owner workspace memberships while
 *   `workspaceSharingDisabled`, the roles `member` and `auditor`) is not.
 * - The archive block is applied to each reason as well as to the result, so
 *   the permissions are exactly the union of the reasons' permissions;
 *   `writeBlocked` says what was withheld.
 *
 * @throws AccessFactsError when `chat.rootId` is not `root.id`.
 */
export function evaluateChatAccess(facts: ChatAccessFacts): AccessDecision {
  const { chat, root, org, workspace } = facts;
  if (chat.rootId !== root.id) {
    throw new AccessFactsError(`chat ${chat.id} has root ${chat.rootId}, but the facts describe ${root.id}`);
  }
  // Rule 1. A deleted root takes its sub-chats with it.
  if (org.membership === null || chat.deleted || root.deleted) {
    return { permissions: [], reasons: [], writeBlocked: null };
  }

  const writeBlocked = workspace?.archivedBy
    ? { kind: 'workspaceArchived' as const, event: workspace.archivedBy }
    : null;
  const blocked = writeBlocked ? ACCESS_POLICY.blockedWhileArchived : [];
  const granted = (permissions: readonly Permission[]) => withoutPermissions(permissions, blocked);

  const reasons: Reason[] = [];
  // Rule 2: the root's owner, also on sub-chats (they have no owner of their own that counts).
  if (root.ownerId === facts.userId) {
    reasons.push({ kind: 'owner', permissions: granted(ACCESS_POLICY.rootOwner), event: root.createdBy });
  }
  // Rules 3 and 6: only org owners and admins get anything from their role.
  const { role: orgRole, since: orgRoleEvent } = org.membership;
  reasons.push({
    kind: 'orgRole',
    role: orgRole,
    permissions: granted(ACCESS_POLICY.orgRoles[orgRole]),
    event: orgRoleEvent,
  });
  // Rule 4: entries stay stored while sharing is disabled but count for nothing.
  if (!org.chatSharingDisabled) reasons.push(...aclReasons(facts, granted));
  // Rule 5.
  const wsMembership = workspace?.membership;
  if (workspace && wsMembership && workspaceRoleCounts(wsMembership.role, org.workspaceSharingDisabled)) {
    reasons.push({
      kind: 'workspace',
      role: wsMembership.role,
      workspaceId: workspace.id,
      permissions: granted(ACCESS_POLICY.workspaceRoles[wsMembership.role]),
      event: wsMembership.since,
    });
  }

  // Rule 6: the union. ACL roles are cumulative (policy.test.ts), so the union of all
  // applicable entries is what "the highest wins" gives.
  const contributing = reasons.filter((reason) => reason.permissions.length > 0);
  return {
    permissions: unionPermissions(...contributing.map((reason) => reason.permissions)),
    reasons: contributing,
    writeBlocked,
  };
}

function aclReasons(
  facts: ChatAccessFacts,
  granted: (permissions: readonly Permission[]) => Permission[],
): Reason[] {
  const groupMemberships = new Map(facts.groupMemberships.map((m) => [m.groupId, m.since]));
  const direct: Reason[] = [];
  const viaGroups: Array<Extract<Reason, { kind: 'group' }>> = [];
  for (const { subject, role, grantedBy } of facts.root.acl) {
    const permissions = granted(ACCESS_POLICY.aclRoles[role]);
    if (subject.kind === 'user' && subject.id === facts.userId) {
      direct.push({ kind: 'direct', role, permissions, event: grantedBy });
    }
    const membership = subject.kind === 'group' ? groupMemberships.get(subject.id) : undefined;
    if (membership) {
      viaGroups.push({
        kind: 'group',
        role,
        subjectId: subject.id,
        permissions,
        event: grantedBy,
        membership,
      });
    }
  }
  // Sorted so replay and live projections list reasons identically (`tenantry audit verify`).
  viaGroups.sort((a, b) => (a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0));
  return [...direct, ...viaGroups];
}

function workspaceRoleCounts(role: WorkspaceRole, workspaceSharingDisabled: boolean): boolean {
  return !workspaceSharingDisabled || ACCESS_POLICY.workspaceRolesWhileSharingDisabled.includes(role);
}
