import { type EventRef, type PersistentMap } from '../kernel/index.js';

export interface ApiToken {
  readonly tokenId: string;
  readonly name: string;
  readonly prefix: string;
  readonly hash: string;
  /** The `ApiTokenIssued` event. */
  readonly issuedAt: EventRef;
  /** Revoked tokens stay in state so a revoked id is told apart from one never issued, and never reused. */
  readonly revoked: boolean;
}

/**
 * Suspension blocks authentication (401, DESIGN.md §4) without touching the
 * tokens: reactivation makes the user's unrevoked tokens work again, so the
 * operator can suspend briefly without forcing the user to re-issue them.
 */
export type UserState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active' | 'suspended';
      readonly userId: string;
      readonly email: string;
      readonly displayName: string;
      readonly tokens: PersistentMap<string, ApiToken>;
    };

export type RegisteredUser = Exclude<UserState, { status: 'absent' }>;
