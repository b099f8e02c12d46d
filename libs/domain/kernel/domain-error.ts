import { type DomainErrorCode } from './error-codes.js';

/**
 * Why a command was refused, in the terms of DESIGN.md §5's status rules.
 * The HTTP layer maps each kind to its status; the domain knows no HTTP.
 *
 * - invalid: bad input, or a rule about the input (400)
 * - forbidden: the actor can see the resource but may not do this (403)
 * - notFound: the actor cannot see the resource, or it does not exist (404);
 *   the two are deliberately indistinguishable
 * - conflict: uniqueness or an invariant of the current state (409)
 * - gone: a write into an archived workspace (410)
 */
export type DomainErrorKind = 'invalid' | 'forbidden' | 'notFound' | 'conflict' | 'gone';

/** A field-level problem, named so clients can point at it (problem+json `errors`). */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    /** Stable code that tests and clients match on, e.g. `ORG.LAST_OWNER` (error-codes.ts). */
    readonly code: DomainErrorCode,
    readonly kind: DomainErrorKind,
    message: string,
    readonly fields: readonly FieldProblem[] = [],
  ) {
    super(message);
  }
}

export const refuse = {
  invalid: (code: DomainErrorCode, message: string, fields: readonly FieldProblem[] = []) =>
    new DomainError(code, 'invalid', message, fields),
  forbidden: (code: DomainErrorCode, message: string) => new DomainError(code, 'forbidden', message),
  notFound: (code: DomainErrorCode, message: string) => new DomainError(code, 'notFound', message),
  conflict: (code: DomainErrorCode, message: string) => new DomainError(code, 'conflict', message),
  gone: (code: DomainErrorCode, message: string) => new DomainError(code, 'gone', message),
};
