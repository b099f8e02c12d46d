import { refuse } from './domain-error.js';

/** DESIGN.md §5: slugs of organizations and workspaces. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/**
 * A slug shaped like a UUID is refused too: `{org}` and `{ws}` in a route
 * are read as an id when they look like one, so such a slug could never be
 * reached by slug.
 */
export function assertSlug(field: string, value: string): void {
  if (!SLUG_PATTERN.test(value)) {
    throw refuse.invalid('INPUT.SLUG', `${field} must match ${SLUG_PATTERN.source}`, [
      { field, message: `must match ${SLUG_PATTERN.source}` },
    ]);
  }
  if (isUuid(value)) {
    throw refuse.invalid('INPUT.SLUG', `${field} must not be shaped like a UUID`, [
      { field, message: 'must not be shaped like a UUID (it would be read as an id)' },
    ]);
  }
}

/**
 * NUL, and UTF-16 surrogates that are not part of a pair: no UTF-8 text can
 * hold them, so Postgres refuses them in `text` and `jsonb` (the event log)
 * alike. Nothing that holds one may reach an event.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function hasUnstorableCharacters(value: string): boolean {
  return UNSTORABLE.test(value);
}

export const UNSTORABLE_MESSAGE = 'must not contain NUL (\\u0000) or unpaired UTF-16 surrogates';

/** Refuses text no event can hold (400 naming the field, code INPUT.TEXT_CHARACTERS). */
export function assertStorableText(field: string, value: string): void {
  if (hasUnstorableCharacters(value)) {
    throw refuse.invalid('INPUT.TEXT_CHARACTERS', `${field} ${UNSTORABLE_MESSAGE}`, [
      { field, message: UNSTORABLE_MESSAGE },
    ]);
  }
}

/** Trimmed, 1..max characters, all of them storable; names and titles. */
export function assertText(field: string, value: string, max: number): void {
  assertStorableText(field, value);
  const length = value.trim().length;
  if (length === 0 || value.length > max) {
    throw refuse.invalid('INPUT.TEXT_LENGTH', `${field} must have 1 to ${max} characters`, [
      { field, message: `must have 1 to ${max} characters` },
    ]);
  }
}
