import { assertStorableText, refuse } from '../kernel/index.js';

export const EMAIL_MIN = 3;
/** RFC 5321's limit on a forward path; longer addresses cannot receive mail anyway. */
export const EMAIL_MAX = 254;

/**
 * The one form of an email that is stored, compared and hashed for the
 * uniqueness reservation (streams.userEmailReservation). Trimmed and lower
 * case: RFC 5321 lets the local part be case-sensitive, but no mail provider
 * in use treats `Alice@x.org` and `alice@x.org` as two people, and users
 * expect them to collide (409) rather than yield two accounts. The handler
 * must hash this normal form, or the reservation would miss such duplicates.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * A loose shape check, on purpose: exactly one `@` with something on each
 * side, no whitespace, 3..254 characters. Whether the address receives mail
 * is beyond what a syntax check can tell, so stricter patterns would only
 * refuse real addresses.
 */
export function assertEmail(email: string): void {
  assertStorableText('email', email);
  const shaped = /^[^\s@]+@[^\s@]+$/.test(email);
  if (!shaped || email.length < EMAIL_MIN || email.length > EMAIL_MAX) {
    const message = `must be an email address of ${EMAIL_MIN} to ${EMAIL_MAX} characters`;
    throw refuse.invalid('INPUT.EMAIL', `email ${message}`, [{ field: 'email', message }]);
  }
}
