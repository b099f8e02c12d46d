import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../../domain/kernel/index.js';

/**
 * API tokens (DESIGN.md §4): 32 random bytes (base64url), then a dot and the
 * user's id: `<secret>.<userId>`. Authentication looks the token's hash up
 * in the users projection (apps/api/auth/bearer-auth.guard.ts) and checks that the row's
 * user is the one the token names; the secret is what proves possession. Only the SHA-256 of the whole token and
 * its first 8 characters (the prefix shown in token lists, taken from the
 * random part) are ever stored; the plaintext is returned once, at issue.
 */
export interface IssuedApiToken {
  readonly plaintext: string;
  readonly hash: string;
  readonly prefix: string;
}

const SECRET_BYTES = 32;
export const TOKEN_PREFIX_LENGTH = 8;

export function issueApiToken(userId: string): IssuedApiToken {
  const plaintext = `${randomBytes(SECRET_BYTES).toString('base64url')}.${userId}`;
  return { plaintext, hash: hashToken(plaintext), prefix: plaintext.slice(0, TOKEN_PREFIX_LENGTH) };
}

export function hashToken(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

/** The user a well-formed token claims to belong to; null for anything else. */
export function claimedUserId(plaintext: string): string | null {
  const dot = plaintext.lastIndexOf('.');
  if (dot < 0) return null;
  const userId = plaintext.slice(dot + 1);
  return isUuid(userId) ? userId.toLowerCase() : null;
}

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether the token has the shape {@link issueApiToken} gives: a 43-character
 * base64url secret, a dot, a user id. Only such tokens are worth looking for
 * in their user's stream when the projection does not know them.
 */
export function isWellFormed(plaintext: string): boolean {
  const dot = plaintext.lastIndexOf('.');
  return dot >= 0 && SECRET_PATTERN.test(plaintext.slice(0, dot)) && claimedUserId(plaintext) !== null;
}

/** Compares two hex digests without leaking, through timing, how much of them matched. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
