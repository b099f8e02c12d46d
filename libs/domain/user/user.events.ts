import { type DomainEvent } from '../kernel/index.js';

/** Users are global (DESIGN.md §4): their events carry no orgId. */
export type UserRegistered = DomainEvent<
  'UserRegistered',
  { userId: string; /** Normalised: see normalizeEmail. */ email: string; displayName: string }
>;
export type UserSuspended = DomainEvent<'UserSuspended', { userId: string }>;
export type UserReactivated = DomainEvent<'UserReactivated', { userId: string }>;
/**
 * A token as it may be stored and logged (DESIGN.md §4): its SHA-256 hash
 * (hex) and its first 8 characters, never the plaintext. The log is
 * immutable and replayed by every projector, so a plaintext here could
 * never be taken back.
 */
export type ApiTokenIssued = DomainEvent<
  'ApiTokenIssued',
  { userId: string; tokenId: string; name: string; hash: string; prefix: string }
>;
export type ApiTokenRevoked = DomainEvent<'ApiTokenRevoked', { userId: string; tokenId: string }>;

export type UserEvent = UserRegistered | UserSuspended | UserReactivated | ApiTokenIssued | ApiTokenRevoked;
