import { type EventRef } from '../event-store/event-envelope.js';
import { type AclRole, type OrgRole, type WorkspaceRole } from './policy.js';

/**
 * The event behind a fact, so every reason can name what established it. It
 * belongs to the log (libs/event-store/event-envelope.ts): re-exported here
 * for the policy's callers.
 */
export type { EventRef };

/** A role and the latest event that gave it (`OrgMemberAdded`, `MemberRoleChanged`, …). */
export interface Membership<Role extends string> {
  readonly role: Role;
  readonly since: EventRef;
}

export interface AclEntry {
  readonly subject: { readonly kind: 'user' | 'group'; readonly id: string };
  readonly role: AclRole;
  /** The `ChatShared` event that set this role. */
  readonly grantedBy: EventRef;
}

/**
 * Everything {@link evaluateChatAccess} needs to decide what one user may do
 * on one chat, as of one point in the log. The command side loads it from
 * aggregate streams, projectors from their own rows, audit replay from a fold
 * of the org's events up to the instant asked about; all three then get the
 * same answer from the same function (DESIGN.md §2).
 *
 * The loader resolves identities and liveness; the evaluator applies the
 * rules. So the loader must leave out what no longer exists: removed ACL
 * entries, deleted groups, memberships in groups that were deleted.
 */
export interface ChatAccessFacts {
  readonly userId: string;
  readonly org: {
    readonly chatSharingDisabled: boolean;
    readonly workspaceSharingDisabled: boolean;
    /** The user's membership of the chat's org; null when the user is not (or no longer) a member. */
    readonly membership: Membership<OrgRole> | null;
  };
  /** The chat asked about; the root itself or one of its sub-chats. */
  readonly chat: {
    readonly id: string;
    readonly rootId: string;
    /**
     * Whoever created this chat. Ignored on purpose: §5 rule 2 grants
     * everything to the owner of the ROOT only, so creating a sub-chat gives
     * no rights beyond those its creator already had through the root.
     */
    readonly ownerId: string;
    /**
     * True when this chat was deleted. The loader also sets it when a chat
     * between this one and the root was deleted: a sub-chat under a deleted
     * parent is unreachable, and §5 HTTP treats a deleted chat as missing.
     */
    readonly deleted: boolean;
  };
  /** The root chat, whose owner and ACL decide for all its sub-chats (§5 Chat). */
  readonly root: {
    readonly id: string;
    readonly ownerId: string;
    /** The root's `ChatCreated`, which made `ownerId` its owner. */
    readonly createdBy: EventRef;
    readonly deleted: boolean;
    readonly acl: readonly AclEntry[];
  };
  /** The user's memberships of the org's (live) groups. */
  readonly groupMemberships: ReadonlyArray<{ readonly groupId: string; readonly since: EventRef }>;
  /** The workspace the root is bound to, or null for a chat outside any workspace. */
  readonly workspace: {
    readonly id: string;
    /** The `WorkspaceArchived` event while the workspace is archived; null otherwise. */
    readonly archivedBy: EventRef | null;
    /** The user's membership of the workspace, or null. */
    readonly membership: Membership<WorkspaceRole> | null;
  } | null;
}

/**
 * Thrown when the facts contradict each other (a chat whose root is not the
 * root supplied). That is a loader bug; deciding anyway could grant access
 * through another chat's ACL, so the evaluator refuses instead.
 */
export class AccessFactsError extends Error {
  readonly code = 'AUTHZ.INCONSISTENT_FACTS';

  constructor(message: string) {
    super(message);
    this.name = 'AccessFactsError';
  }
}
