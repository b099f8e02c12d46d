/**
 * The actor id of the operator token (DESIGN.md §4), the only one that may
 * register, suspend and reactivate users. It is no user id, so it can never
 * collide with one (user ids are UUIDs).
 */
export const OPERATOR_ACTOR_ID = 'operator';
export type OperatorActorId = typeof OPERATOR_ACTOR_ID;

/**
 * A token the handler generated. The handler keeps the plaintext to show it
 * once and hands the domain only what may be stored: the domain does no
 * crypto and never sees the secret.
 */
export interface NewApiToken {
  readonly tokenId: string;
  readonly name: string;
  /** SHA-256 of the plaintext, lower-case hex. */
  readonly hash: string;
  /** The plaintext's first 8 characters, shown in token lists. */
  readonly prefix: string;
}

/**
 * POST /v1/users. The operator answers `{user, token}` (DESIGN.md §10), so
 * registration issues the user's first token in the same append: a user is
 * never left registered without a way to authenticate, and one expected
 * revision covers both events.
 */
export interface RegisterUser {
  readonly type: 'RegisterUser';
  readonly actorId: OperatorActorId;
  readonly userId: string;
  /** Normalised by the decider (see normalizeEmail); the handler hashes the same normal form. */
  readonly email: string;
  readonly displayName: string;
  readonly firstToken: NewApiToken;
}

export interface SuspendUser {
  readonly type: 'SuspendUser';
  readonly actorId: OperatorActorId;
  readonly userId: string;
}

export interface ReactivateUser {
  readonly type: 'ReactivateUser';
  readonly actorId: OperatorActorId;
  readonly userId: string;
}

/** POST /v1/users/me/tokens: a user issues tokens for themself only. */
export interface IssueApiToken {
  readonly type: 'IssueApiToken';
  readonly actorId: string;
  readonly userId: string;
  readonly token: NewApiToken;
}

/** DELETE /v1/users/me/tokens/{id}. */
export interface RevokeApiToken {
  readonly type: 'RevokeApiToken';
  readonly actorId: string;
  readonly userId: string;
  readonly tokenId: string;
}

export type UserCommand = RegisterUser | SuspendUser | ReactivateUser | IssueApiToken | RevokeApiToken;
