import { ValidationPipe, type ValidationError } from '@nestjs/common';
import {
  type FieldProblem,
  hasUnstorableCharacters,
  UNSTORABLE_MESSAGE,
} from '../../../libs/domain/kernel/index.js';
import { ProblemError } from './problem-details.js';

/**
 * Request bodies and queries are validated against their DTOs
 * (class-validator): unknown fields are refused, not dropped, and every
 * offending field is named in the 400's `errors` (DESIGN.md §5).
 */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      ProblemError.of(400, 'REQUEST.INVALID', 'the request has invalid fields', fieldProblems(errors)),
  });
}

/** One entry per offending field (its messages joined), nested fields by dotted path. */
export function fieldProblems(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.values(error.constraints ?? {});
    const own = messages.length > 0 ? [{ field, message: messages.join('; ') }] : [];
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

/** Our bodies nest two levels (`{users: {id: role}}`); anything deeper than this is refused unread. */
export const JSON_MAX_DEPTH = 16;

/**
 * Keys that name JavaScript's prototype machinery. JSON.parse keeps them as
 * plain keys, but class-transformer drops them silently, so `__proto__`
 * would pass as "no field at all" where any other unknown field is 400, and
 * an ACL entry keyed `constructor` would vanish: they are refused like any
 * unknown field, wherever they appear.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** At most this many problems are listed; a body holding thousands gets the first ones. */
const MAX_LISTED_PROBLEMS = 20;

/** The name of the body as a whole in `errors[].field`, when it is the body itself at fault. */
export const WHOLE_BODY = '(body)';

/**
 * What every parsed JSON body must satisfy before any DTO, pipe or handler
 * reads it (issue 15): an object at the top, at most JSON_MAX_DEPTH levels
 * deep, no prototype keys, and no text that no event could hold (NUL,
 * unpaired surrogates, libs/domain/kernel/values.ts) in any key or string.
 * Fields are named by dotted path (`users.constructor`, `title`). Walked
 * with an explicit stack, so no body can exhaust the call stack here.
 */
export function jsonBodyProblems(body: unknown): FieldProblem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ field: WHOLE_BODY, message: 'must be a JSON object' }];
  }
  const problems: FieldProblem[] = [];
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: '', depth: 1 }];
  while (stack.length > 0 && problems.length < MAX_LISTED_PROBLEMS) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (hasUnstorableCharacters(value)) problems.push({ field: path, message: UNSTORABLE_MESSAGE });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > JSON_MAX_DEPTH) {
      problems.push({ field: path, message: `nests deeper than ${JSON_MAX_DEPTH} levels` });
      break;
    }
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) problems.push({ field, message: 'is not allowed' });
      else if (hasUnstorableCharacters(key)) problems.push({ field, message: `key ${UNSTORABLE_MESSAGE}` });
      else stack.push({ value: (value as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  return problems.slice(0, MAX_LISTED_PROBLEMS);
}

/** Query parameters obey the same rule as body strings: each one holding such text is named. */
export function queryProblems(query: Readonly<Record<string, unknown>>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    if (
      hasUnstorableCharacters(name) ||
      values.some((v) => typeof v === 'string' && hasUnstorableCharacters(v))
    ) {
      problems.push({ field: hasUnstorableCharacters(name) ? '(query)' : name, message: UNSTORABLE_MESSAGE });
    }
  }
  return problems.slice(0, MAX_LISTED_PROBLEMS);
}
