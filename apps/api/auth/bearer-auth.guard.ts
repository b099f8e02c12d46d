import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Request } from 'express';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { streams } from '../../../libs/domain/streams.js';
import { userDecider } from '../../../libs/domain/user/user.decider.js';
import { findTokenByHash } from '../../../projections/users/index.js';
import { CONSISTENCY_HEADER, ConsistencyGate } from '../read-side/consistency-gate.js';
import { ReadModels } from '../read-side/read-side.js';
import { OPERATOR_TOKEN } from '../runtime.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { claimedUserId, hashToken, sameDigest } from './api-token.js';
import { type Audience, AUDIENCE } from './auth.decorators.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { type AuthenticatedRequest, type Principal, PRINCIPAL } from './principal.js';

const unauthorized = () =>
  ProblemError.of(401, 'AUTH.UNAUTHORIZED', 'a valid bearer token is required').withHeaders({
    'WWW-Authenticate': 'Bearer realm="tenantry"',
  });

/**
 * `Authorization: Bearer <token>` as RFC 9110 §11.4 and RFC 6750 §2.1 write
 * it: the scheme is case-insensitive, one or more spaces, then a token68
 * (`[A-Za-z0-9-._~+/]+` and trailing `=` padding). Anything else (another
 * scheme, auth-params, a token with other characters or over 512 of them)
 * is no credential at all: 401 like a missing one.
 */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const TOKEN_MAX = 512;

export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = BEARER.exec(header);
  return match && match[1]!.length <= TOKEN_MAX ? match[1]! : null;
}

/**
 * Authenticates every request not marked @Public (DESIGN.md §4): the
 * operator token, or a user's API token looked up by its SHA-256 in the
 * users projection (not revoked, user not suspended). Missing, malformed,
 * unknown or revoked tokens and suspended users are all 401 alike, and each
 * spends one of the client address's failed attempts (AuthFailureLimiter:
 * 429 with Retry-After once they are spent).
 *
 * Authentication comes first, then the X-Consistency-Token wait
 * (ConsistencyGate): a request that does not authenticate never waits. So
 * that read-your-writes still holds for tokens themselves:
 * - a token the projection does not accept, on a request carrying a
 *   consistency token, is checked against its user's own stream in the
 *   event store (the token names its user): a token issued by a command
 *   works on the next request carrying that command's position;
 * - a request that had to wait is authenticated again once the projections
 *   have reached its position, so a revocation or a suspension holds for
 *   the next request carrying the revoking command's position.
 *
 * Routes are for users unless marked @OperatorOnly. The operator has no
 * access to tenant data: user routes answer it 404, as if they did not exist.
 * Users calling operator routes get 403. Public routes read no projection
 * and ignore X-Consistency-Token.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly operatorTokenHash: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly readModels: ReadModels,
    private readonly consistency: ConsistencyGate,
    private readonly aggregates: AggregateStore,
    private readonly failures: AuthFailureLimiter,
    @Inject(OPERATOR_TOKEN) operatorToken: string,
  ) {
    this.operatorTokenHash = hashToken(operatorToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const audience =
      this.reflector.getAllAndOverride<Audience | undefined>(AUDIENCE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'user';
    if (audience === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & Request>();
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    await this.failures.refuseIfBlocked(address);

    const token = bearerToken(request.headers.authorization);
    const consistencyHeader = request.headers[CONSISTENCY_HEADER];
    let principal = token ? await this.authenticate(token, consistencyHeader !== undefined) : null;
    if (!principal) throw await this.failures.refusal(address, unauthorized());

    const position = this.consistency.parse(consistencyHeader);
    if (position !== undefined && !this.consistency.hasReached(position)) {
      await this.consistency.waitFor(position);
      principal = await this.authenticate(token!, true);
      if (!principal) throw await this.failures.refusal(address, unauthorized());
    }

    if (audience === 'operator' && principal.kind !== 'operator') {
      throw ProblemError.of(403, 'AUTH.OPERATOR_ONLY', 'only the operator token may do this');
    }
    if (audience === 'user' && principal.kind !== 'user') throw new ProblemError(notFoundProblem());
    request[PRINCIPAL] = principal;
    return true;
  }

  private async authenticate(token: string, askTheLog: boolean): Promise<Principal | null> {
    const hash = hashToken(token);
    if (sameDigest(hash, this.operatorTokenHash)) return { kind: 'operator' };
    const userId = claimedUserId(token);
    if (!userId) return null;
    const row = await this.readModels.anonymous((client) => findTokenByHash(client, hash));
    // The lookup is by hash, so a match proves possession; the id must still be the one the token names.
    if (row && !row.revoked && row.userStatus === 'active' && row.userId === userId) {
      return { kind: 'user', userId };
    }
    return askTheLog ? this.authenticateFromLog(userId, hash) : null;
  }

  /** The user's own stream is the truth the projection lags behind: one short stream, read by id. */
  private async authenticateFromLog(userId: string, hash: string): Promise<Principal | null> {
    const { state } = await this.aggregates.load(userDecider, streams.user(userId));
    if (state.status !== 'active') return null;
    const held = state.tokens.some((token) => !token.revoked && sameDigest(token.hash, hash));
    return held ? { kind: 'user', userId } : null;
  }
}
