import { refuse } from './domain-error.js';

/** DESIGN.md §5: slugs of organizations and workspaces. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

export function assertSlug(field: string, value: string): void {
  if (!SLUG_PATTERN.test(value)) {
    throw refuse.invalid('INPUT.SLUG', `${field} must match ${SLUG_PATTERN.source}`, [
      { field, message: `must match ${SLUG_PATTERN.source}` },
    ]);
  }
}

/** Trimmed, 1..max characters; names and titles. */
export function assertText(field: string, value: string, max: number): void {
  const length = value.trim().length;
  if (length === 0 || value.length > max) {
    throw refuse.invalid('INPUT.TEXT_LENGTH', `${field} must have 1 to ${max} characters`, [
      { field, message: `must have 1 to ${max} characters` },
    ]);
  }
}
