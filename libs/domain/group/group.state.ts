import { type EventRef, type PersistentMap } from '../kernel/index.js';

export interface GroupMember {
  /** The `GroupMemberAdded` event: libs/authz names it when a group's ACL entry grants access. */
  readonly since: EventRef;
}

export type GroupState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active';
      readonly orgId: string;
      readonly groupId: string;
      readonly name: string;
      readonly members: PersistentMap<string, GroupMember>;
    }
  | {
      /** Final: a deleted group is missing for every command, and its id is never reused. */
      readonly status: 'deleted';
      readonly orgId: string;
      readonly groupId: string;
      readonly name: string;
      readonly deletedBy: EventRef;
    };

export type ActiveGroup = Extract<GroupState, { status: 'active' }>;

/**
 * A user's membership of this group in the shape libs/authz's facts take
 * (`ChatAccessFacts.groupMemberships`), or null, also for a deleted group,
 * whose memberships must grant nothing.
 */
export function groupMembershipOf(
  group: GroupState,
  userId: string,
): { readonly groupId: string; readonly since: EventRef } | null {
  if (group.status !== 'active') return null;
  const member = group.members.get(userId);
  return member ? { groupId: group.groupId, since: member.since } : null;
}
