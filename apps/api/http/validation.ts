import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { type FieldProblem } from '../../../libs/domain/kernel/index.js';
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
