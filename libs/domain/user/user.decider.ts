import {
  assertNever,
  assertText,
  type Decider,
  PersistentMap,
  refuse,
  type Recorded,
} from '../kernel/index.js';
import {
  type IssueApiToken,
  type NewApiToken,
  OPERATOR_ACTOR_ID,
  type RegisterUser,
  type RevokeApiToken,
  type UserCommand,
} from './user.commands.js';
import { assertEmail, normalizeEmail } from './user.email.js';
import { type ApiTokenIssued, type UserEvent } from './user.events.js';
import { type RegisteredUser, type UserState } from './user.state.js';

export const DISPLAY_NAME_MAX = 100;
export const TOKEN_NAME_MAX = 100;
export const TOKEN_PREFIX_LENGTH = 8;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A global user and their API tokens (DESIGN.md §4). Email uniqueness is not
 * decided here: the handler first claims streams.userEmailReservation, as
 * org slugs are claimed (libs/domain/reservation, DESIGN.md §6).
 */
export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: { status: 'absent' },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterUser':
        return register(command, state);
      case 'SuspendUser': {
        const user = registeredForOperator(command.actorId, state);
        return user.status === 'suspended' ? [] : [{ type: 'UserSuspended', data: { userId: user.userId } }];
      }
      case 'ReactivateUser': {
        const user = registeredForOperator(command.actorId, state);
        return user.status === 'active' ? [] : [{ type: 'UserReactivated', data: { userId: user.userId } }];
      }
      case 'IssueApiToken':
        return issueToken(command, state);
      case 'RevokeApiToken':
        return revokeToken(command, state);
      default:
        return assertNever(command);
    }
  },

  evolve(state, event: Recorded<UserEvent>) {
    if (event.type === 'UserRegistered') {
      const { userId, email, displayName } = event.data;
      return { status: 'active', userId, email, displayName, tokens: PersistentMap() };
    }
    if (state.status === 'absent') return state;
    switch (event.type) {
      case 'UserSuspended':
        return { ...state, status: 'suspended' };
      case 'UserReactivated':
        return { ...state, status: 'active' };
      case 'ApiTokenIssued': {
        const { tokenId, name, prefix, hash } = event.data;
        const token = { tokenId, name, prefix, hash, issuedAt: event.ref, revoked: false };
        return { ...state, tokens: state.tokens.set(tokenId, token) };
      }
      case 'ApiTokenRevoked': {
        const token = state.tokens.get(event.data.tokenId);
        if (!token) return state;
        return { ...state, tokens: state.tokens.set(token.tokenId, { ...token, revoked: true }) };
      }
      default:
        return assertNever(event);
    }
  },
};

/** Only the operator token manages users (DESIGN.md §4); the type says so, this guards untyped callers. */
function assertOperator(actorId: string): void {
  if (actorId !== OPERATOR_ACTOR_ID) {
    throw refuse.forbidden('USER.OPERATOR_ONLY', 'only the operator manages users');
  }
}

function registeredForOperator(actorId: string, state: UserState): RegisteredUser {
  assertOperator(actorId);
  if (state.status === 'absent') throw refuse.notFound('USER.NOT_FOUND', 'user not found');
  return state;
}

/**
 * Token commands are the user's own: another actor (another user, or the
 * operator) gets 404, like a user that does not exist, since tokens are
 * nobody else's to see.
 */
function ownedBy(actorId: string, userId: string, state: UserState): RegisteredUser {
  if (actorId !== userId || state.status === 'absent') {
    throw refuse.notFound('USER.NOT_FOUND', 'user not found');
  }
  return state;
}

function register(command: RegisterUser, state: UserState): UserEvent[] {
  assertOperator(command.actorId);
  if (state.status !== 'absent') throw refuse.conflict('USER.ALREADY_EXISTS', 'user already exists');
  const email = normalizeEmail(command.email);
  assertEmail(email);
  assertText('displayName', command.displayName, DISPLAY_NAME_MAX);
  const { userId, displayName } = command;
  return [
    { type: 'UserRegistered', data: { userId, email, displayName } },
    tokenIssued(userId, command.firstToken),
  ];
}

function issueToken(command: IssueApiToken, state: UserState): UserEvent[] {
  const user = ownedBy(command.actorId, command.userId, state);
  if (user.status === 'suspended') {
    throw refuse.forbidden('USER.SUSPENDED', 'a suspended user cannot issue tokens');
  }
  if (user.tokens.has(command.token.tokenId)) {
    throw refuse.conflict('USER.TOKEN_ALREADY_EXISTS', 'token id already used');
  }
  return [tokenIssued(user.userId, command.token)];
}

/**
 * Allowed while suspended: revoking only takes access away. A second
 * revocation is 404 rather than a no-op, so DELETE on a revoked token
 * answers like one that never existed.
 */
function revokeToken(command: RevokeApiToken, state: UserState): UserEvent[] {
  const user = ownedBy(command.actorId, command.userId, state);
  const token = user.tokens.get(command.tokenId);
  if (!token || token.revoked) throw refuse.notFound('USER.TOKEN_NOT_FOUND', 'token not found');
  return [{ type: 'ApiTokenRevoked', data: { userId: user.userId, tokenId: token.tokenId } }];
}

/** Builds the event field by field, so nothing else the handler put on the command can reach the log. */
function tokenIssued(userId: string, token: NewApiToken): ApiTokenIssued {
  assertText('name', token.name, TOKEN_NAME_MAX);
  assertDigest(token);
  const { tokenId, name, hash, prefix } = token;
  return { type: 'ApiTokenIssued', data: { userId, tokenId, name, hash, prefix } };
}

/**
 * A digest of the wrong shape is a handler bug (say, the plaintext passed as
 * the hash), not a refusal of the caller's input: a plain Error, so a 500,
 * and nothing secret is appended.
 */
function assertDigest(token: NewApiToken): void {
  if (!SHA256_HEX.test(token.hash) || token.prefix.length !== TOKEN_PREFIX_LENGTH) {
    throw new Error('ApiTokenIssued needs a SHA-256 hex hash and an 8-character prefix');
  }
}
