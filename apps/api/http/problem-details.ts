import { type FieldProblem } from '../../../libs/domain/kernel/index.js';
import { type ProblemCode } from './problem-codes.js';

/**
 * An error answer in RFC 9457's shape (DESIGN.md §5): `type`, `title`,
 * `status`, `detail`, and `errors` naming the fields at fault. `code` is the
 * stable code clients and tests match on (STYLE.md §12).
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ProblemCode;
  readonly errors?: readonly FieldProblem[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(
  status: number,
  code: ProblemCode,
  detail: string,
  errors?: readonly FieldProblem[],
): ProblemDetails {
  return {
    type: `urn:tenantry:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** An HTTP-level refusal thrown by guards, pipes and interceptors; the filter renders it. */
export class ProblemError extends Error {
  constructor(
    readonly problem: ProblemDetails,
    /** Headers the answer carries besides the problem (`Retry-After` on a 503). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(problem.detail);
    this.name = 'ProblemError';
  }

  withHeaders(headers: Readonly<Record<string, string>>): ProblemError {
    return new ProblemError(this.problem, { ...this.headers, ...headers });
  }

  static of(
    status: number,
    code: ProblemCode,
    detail: string,
    errors?: readonly FieldProblem[],
  ): ProblemError {
    return new ProblemError(problem(status, code, detail, errors));
  }
}

/** The one body for every "cannot see it": a missing id and another tenant's id must look the same. */
export const notFoundProblem = () => problem(404, 'NOT_FOUND', 'no such resource');
