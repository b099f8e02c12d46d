import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { DomainError, type DomainErrorKind } from '../../../libs/domain/kernel/index.js';
import { EventStoreUnavailable } from '../../../libs/event-store/index.js';
import { isDatabaseUnavailable } from '../../../libs/persistence/index.js';
import {
  notFoundProblem,
  problem,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  type ProblemDetails,
} from './problem-details.js';
import { headersSent, type HttpResponse } from './http-exchange.js';

const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  gone: 410,
};

/** Postgres down, restarting or out of reach: nothing failed on our side, and a retry soon may pass. */
const databaseUnavailable = () =>
  ProblemError.of(
    503,
    'DATABASE.UNAVAILABLE',
    'the database cannot be reached right now; retry shortly',
  ).withHeaders({ 'Retry-After': '1' });

/**
 * EventStoreDB out of reach (EVENTSTORE_URL): unavailable, deadline exceeded
 * or cancelled under us (libs/event-store esdb-conversions.ts), as for
 * Postgres: retry soon.
 */
const eventStoreUnavailable = () =>
  ProblemError.of(
    503,
    'EVENT_STORE.UNAVAILABLE',
    'the event store cannot be reached right now; retry shortly',
  ).withHeaders({ 'Retry-After': '1' });

/** The answer for a store out of reach, or undefined when the error is not that. */
function unavailableAnswer(exception: unknown): { answer: ProblemError; store: string } | undefined {
  if (isDatabaseUnavailable(exception)) return { answer: databaseUnavailable(), store: 'Postgres' };
  if (exception instanceof EventStoreUnavailable)
    return { answer: eventStoreUnavailable(), store: 'the event store' };
  return undefined;
}

/**
 * Every error leaves as application/problem+json (DESIGN.md §5). Domain
 * refusals map by kind; 404s all share one body, so a missing resource and
 * an invisible one cannot be told apart; Postgres out of reach (whichever
 * statement met it: a read, an authentication, an append to the event
 * store) and EventStoreDB out of reach are 503s with Retry-After, logged at
 * warn; anything else unexpected
 * is a 500 whose details go to the log, not to the caller.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    logger.setContext(ProblemDetailsFilter.name);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    let answer = exception;
    const unavailable = unavailableAnswer(exception);
    if (unavailable) {
      this.logger.warn({ err: exception }, `${unavailable.store} is unavailable: answered 503`);
      answer = unavailable.answer;
    }
    const body = this.toProblem(answer);
    // Only failures we did not mean: a 503 we answer on purpose (ProblemError) is no error.
    if (body.status >= 500 && !(answer instanceof ProblemError)) {
      this.logger.error({ err: exception }, 'request failed');
    }
    if (headersSent(response)) return;
    if (answer instanceof ProblemError) {
      for (const [name, value] of Object.entries(answer.headers)) response.header(name, value);
    }
    response.status(body.status);
    response.type(PROBLEM_CONTENT_TYPE);
    response.send(JSON.stringify(body));
  }

  toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof ProblemError) return exception.problem;
    const unavailable = unavailableAnswer(exception);
    if (unavailable) return unavailable.answer.problem;
    if (exception instanceof DomainError) {
      if (exception.kind === 'notFound') return notFoundProblem();
      return problem(STATUS_OF[exception.kind], exception.code, exception.message, exception.fields);
    }
    if (exception instanceof HttpException) return fromHttpException(exception);
    const status = bodyParserStatus(exception);
    if (status === 413) return problem(413, 'REQUEST.TOO_LARGE', 'the request body is over 64 KiB');
    if (status === 400) return problem(400, 'REQUEST.MALFORMED_JSON', 'the request body is not valid JSON');
    if (status === 415) return problem(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', 'send application/json');
    return problem(500, 'INTERNAL', 'something went wrong on our side');
  }
}

function fromHttpException(exception: HttpException): ProblemDetails {
  const status = exception.getStatus();
  if (status === 404) return notFoundProblem();
  // Our own validation throws ProblemError; a bare 400 from Nest is its JSON body parser refusing the body.
  if (status === 400) return problem(400, 'REQUEST.MALFORMED_JSON', 'the request body is not valid JSON');
  // Fastify's body parsing fails before any of our code runs; its adapter hands those errors in as HttpException.
  if (status === 413) return problem(413, 'REQUEST.TOO_LARGE', 'the request body is over 64 KiB');
  if (status === 415) return problem(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', 'send application/json');
  return problem(status, `HTTP.${status}`, exception.message);
}

/** Errors of Express's body parser carry their HTTP status (413 too large, 400 bad JSON). */
function bodyParserStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null || !('type' in exception)) return undefined;
  const { status } = exception as { status?: unknown };
  return typeof status === 'number' ? status : undefined;
}
