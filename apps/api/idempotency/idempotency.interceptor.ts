import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { createHash } from 'node:crypto';
import { catchError, from, mergeMap, type Observable, of, throwError } from 'rxjs';
import { type Database } from '../../../libs/persistence/index.js';
import { type AuthenticatedRequest, PRINCIPAL } from '../auth/principal.js';
import { type Position } from '../../../libs/event-store/index.js';
import { CommandResponse } from '../http/command-response.js';
import { ProblemDetailsFilter } from '../http/problem-details.filter.js';
import { ProblemError, type ProblemDetails } from '../http/problem-details.js';
import { headerOf, type HttpRequest } from '../http/http-exchange.js';
import { DATABASE } from '../injection-tokens.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

interface StoredAnswer {
  readonly request_hash: string;
  readonly state: 'pending' | 'done';
  readonly status: number | null;
  readonly position: string | null;
  readonly body: unknown;
}

/**
 * `Idempotency-Key` on writes (DESIGN.md §10), scoped to the caller: the
 * first request with a key runs and its answer is kept; a repeat with the
 * same body gets that answer again and appends nothing; the same key with
 * another body is 422; a repeat while the first is still running is 409.
 * Failures of ours (5xx) are not kept, so the client may retry them.
 *
 * Plaintext tokens are shown once and never stored (DESIGN.md §4): a replay
 * of a token-issuing request answers its token as null.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(DATABASE) private readonly database: Pick<Database, 'ownerPool'>,
    private readonly problems: ProblemDetailsFilter,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<HttpRequest & AuthenticatedRequest>();
    const key = headerOf(request, IDEMPOTENCY_KEY_HEADER);
    if (key === undefined || !WRITE_METHODS.has(request.method)) return next.handle();
    if (!KEY_PATTERN.test(key)) {
      return throwError(() =>
        ProblemError.of(400, 'REQUEST.INVALID', 'invalid Idempotency-Key', [
          { field: 'Idempotency-Key', message: 'must be 1 to 200 visible ASCII characters' },
        ]),
      );
    }
    const principal = request[PRINCIPAL];
    const caller = principal?.kind === 'user' ? principal.userId : 'operator';
    const requestHash = fingerprint(request);
    return from(this.claim(caller, key, requestHash)).pipe(
      mergeMap((stored) => {
        if (stored) return of(this.replay(stored, requestHash));
        return next.handle().pipe(
          mergeMap((result) => from(this.keep(caller, key, result)).pipe(mergeMap(() => of(result)))),
          catchError((error: unknown) =>
            from(this.keepFailure(caller, key, error)).pipe(mergeMap(() => throwError(() => error))),
          ),
        );
      }),
    );
  }

  /** Claims the key for this request; returns the earlier answer if someone had claimed it. */
  private async claim(caller: string, key: string, requestHash: string): Promise<StoredAnswer | null> {
    const inserted = await this.database.ownerPool.query(
      `INSERT INTO idempotency_keys (caller, key, request_hash, state) VALUES ($1, $2, $3, 'pending')
       ON CONFLICT (caller, key) DO NOTHING RETURNING key`,
      [caller, key, requestHash],
    );
    if (inserted.rowCount === 1) return null;
    const { rows } = await this.database.ownerPool.query<StoredAnswer>(
      'SELECT request_hash, state, status, position, body FROM idempotency_keys WHERE caller = $1 AND key = $2',
      [caller, key],
    );
    return rows[0] ?? null;
  }

  private replay(stored: StoredAnswer, requestHash: string): unknown {
    if (stored.request_hash !== requestHash) {
      throw ProblemError.of(
        422,
        'IDEMPOTENCY.KEY_REUSED',
        'this Idempotency-Key was used with another request',
      );
    }
    if (stored.state === 'pending') {
      throw ProblemError.of(
        409,
        'IDEMPOTENCY.IN_PROGRESS',
        'a request with this Idempotency-Key is still running',
      );
    }
    if (stored.status !== null && stored.status >= 400) throw new ProblemError(stored.body as ProblemDetails);
    if (stored.position === null) return stored.body ?? undefined;
    return new CommandResponse(
      stored.position as Position,
      (stored.body as object | null) ?? undefined,
      stored.status ?? 200,
    );
  }

  private async keep(caller: string, key: string, result: unknown): Promise<void> {
    const answer =
      result instanceof CommandResponse
        ? {
            status: result.status,
            position: result.position,
            body: result.body === undefined ? null : redact(result.body, result.secretFields),
          }
        : { status: 200, position: null, body: result ?? null };
    await this.database.ownerPool.query(
      `UPDATE idempotency_keys SET state = 'done', status = $3, position = $4, body = $5
        WHERE caller = $1 AND key = $2`,
      [caller, key, answer.status, answer.position, JSON.stringify(answer.body)],
    );
  }

  private async keepFailure(caller: string, key: string, error: unknown): Promise<void> {
    const problem = this.problems.toProblem(error);
    if (problem.status >= 500) {
      await this.database.ownerPool.query('DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2', [
        caller,
        key,
      ]);
      return;
    }
    await this.database.ownerPool.query(
      `UPDATE idempotency_keys SET state = 'done', status = $3, body = $4 WHERE caller = $1 AND key = $2`,
      [caller, key, problem.status, JSON.stringify(problem)],
    );
  }
}

/** Same method, path and body (keys in any order) make the same request. */
function fingerprint(request: HttpRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.originalUrl}\n${JSON.stringify(canonical(request.body ?? null))}`)
    .digest('hex');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function redact(body: object, secretFields: readonly string[]): object {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, secretFields.includes(k) ? null : v]));
}
