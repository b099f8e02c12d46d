import { type DomainErrorCode } from '../../../libs/domain/kernel/index.js';

/**
 * The codes the HTTP edge answers with itself (guards, pipes, interceptors,
 * the problem filter), beside the domain's refusals
 * (libs/domain/kernel/error-codes.ts). `REQUEST.*` is a request's shape:
 * DTO validation, unknown fields, bad UUIDs, `?limit=`, JSON bodies, media
 * types. Renaming one breaks clients: don't.
 */
export const HTTP_ERROR_CODES = [
  'REQUEST.INVALID',
  'REQUEST.INVALID_CONSISTENCY_TOKEN',
  'REQUEST.MALFORMED_JSON',
  'REQUEST.TOO_LARGE',
  'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  'AUTH.UNAUTHORIZED',
  'AUTH.OPERATOR_ONLY',
  'AUTH.TOO_MANY_FAILURES',
  'AUDIT.FORBIDDEN',
  'IDEMPOTENCY.KEY_REUSED',
  'IDEMPOTENCY.IN_PROGRESS',
  'CONSISTENCY.NOT_YET',
  'CONSISTENCY.BUSY',
  /** 503 with Retry-After: Postgres cannot be reached right now (libs/persistence/database-unavailable.ts). */
  'DATABASE.UNAVAILABLE',
  /** 503 with Retry-After: EventStoreDB (EVENTSTORE_URL) cannot be reached right now (libs/event-store EventStoreUnavailable). */
  'EVENT_STORE.UNAVAILABLE',
  /** 503 with Retry-After: the request came in on a kept-alive connection while the service shuts down. */
  'SERVICE.SHUTTING_DOWN',
  /** Every 404, whatever was missing or invisible: one body, so existence is never confirmed. */
  'NOT_FOUND',
  'INTERNAL',
] as const;

/** An HttpException of Nest's we do not map otherwise keeps its status: `HTTP.405`. */
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number] | `HTTP.${number}`;

/** Every `code` a problem+json answer can carry. */
export type ProblemCode = DomainErrorCode | HttpErrorCode;
