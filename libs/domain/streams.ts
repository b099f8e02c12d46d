/**
 * Stream names (DESIGN.md §6): one stream per aggregate instance, and every
 * stream of a tenant starts with `org-<orgId>/`, so that one organization's
 * whole history is read with a stream-prefix filter without touching any
 * other tenant's events. Ids are UUIDs of fixed length, so no org's prefix is
 * a prefix of another's.
 */
/** How every chat's message stream ends, and no other stream: what an ACL replay leaves out. */
export const MESSAGES_STREAM_SUFFIX = '/messages';

export const streams = {
  user: (userId: string) => `user-${userId}`,
  /** Platform-wide reservation of an organization slug (appended with no_stream). */
  orgSlugReservation: (slug: string) => `reservation-org-slug-${slug}`,
  /**
   * Platform-wide reservation of a user's email, claimed like an org slug
   * (libs/domain/reservation; a duplicate answers 409), with the user id as
   * owner. Named by the SHA-256 hex of the normalised email
   * (libs/domain/user/user.email.ts `normalizeEmail`), never the email
   * itself: an email is personal data, and stream names show up where event
   * bodies do not (stream listings, logs, a failed append's error message).
   */
  userEmailReservation: (emailHash: string) => `reservation-user-email-${emailHash}`,

  tenantPrefix: (orgId: string) => `org-${orgId}/`,
  organization: (orgId: string) => `org-${orgId}/organization`,
  group: (orgId: string, groupId: string) => `org-${orgId}/group-${groupId}`,
  workspace: (orgId: string, workspaceId: string) => `org-${orgId}/workspace-${workspaceId}`,
  /** Reservation of a workspace slug within its organization. */
  workspaceSlugReservation: (orgId: string, slug: string) =>
    `org-${orgId}/reservation-workspace-slug-${slug}`,
  chat: (orgId: string, chatId: string) => `org-${orgId}/chat-${chatId}`,
  /**
   * A chat's messages live in streams of their own, apart from the chat's
   * ACL and metadata, so posting never loads the message history: O(1) in
   * the chat's length (DESIGN.md §5).
   */
  chatMessages: (orgId: string, chatId: string) => `org-${orgId}/chat-${chatId}${MESSAGES_STREAM_SUFFIX}`,
};
