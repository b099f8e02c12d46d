import { type Instant, parseInstant } from '../../../libs/audit/index.js';
import { type PageRequest } from '../../../projections/page.js';
import { isUuid } from '../../../libs/domain/kernel/index.js';
import { ProblemError } from '../http/problem-details.js';

function invalid(field: string, message: string): ProblemError {
  return ProblemError.of(400, 'REQUEST.INVALID', `${field} ${message}`, [{ field, message }]);
}

/** A required UUID query parameter, lower-cased; 400 naming it otherwise. */
export function uuidQuery(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isUuid(value)) throw invalid(field, 'must be a UUID');
  return value.toLowerCase();
}

/** An optional instant (ISO time or log position); 400 naming it when it is neither. */
export function instantQuery(field: string, value: unknown): Instant | undefined {
  if (value === undefined) return undefined;
  const instant = parseInstant(value);
  if (!instant) throw invalid(field, 'must be an ISO-8601 time or a log position (a consistency token)');
  return instant;
}

/**
 * A page whose cursor holds a key of this list's kind (a user id, a
 * position…); 400 naming `cursor` otherwise, as for any cursor the API did
 * not return (http/pagination.ts).
 */
export function auditPage(page: PageRequest, isKey: (key: string) => boolean): PageRequest {
  if (page.after !== null && !isKey(page.after))
    throw invalid('cursor', 'is not a cursor this list returned');
  return page;
}
