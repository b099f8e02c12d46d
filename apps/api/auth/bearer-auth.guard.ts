import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { streams } from '../../../libs/domain/streams.js';
import { userDecider } from '../../../libs/domain/user/user.decider.js';
import { OPERATOR_TOKEN } from '../runtime.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { claimedUserId, hashToken, sameDigest } from './api-token.js';
import { type Audience, AUDIENCE } from './auth.decorators.js';
import { type AuthenticatedRequest, type Principal, PRINCIPAL } from './principal.js';

const unauthorized = () => ProblemError.of(401, 'AUTH.UNAUTHORIZED', 'a valid bearer token is required');

/**
 * Authenticates every request not marked @Public (DESIGN.md §4): the
 * operator token, or a user's API token checked against the user's own
 * stream (hash match, not revoked, user not suspended). Missing, unknown or
 * revoked tokens and suspended users are all 401 alike.
 *
 * Routes are for users unless marked @OperatorOnly. The operator has no
 * access to tenant data: user routes answer it 404, as if they did not exist.
 * Users calling operator routes get 403.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly operatorTokenHash: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly aggregates: AggregateStore,
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
    const request = context
      .switchToHttp()
      .getRequest<AuthenticatedRequest & { headers: Record<string, unknown> }>();
    const principal = await this.authenticate(request.headers.authorization);
    if (!principal) throw unauthorized();
    if (audience === 'operator' && principal.kind !== 'operator') {
      throw ProblemError.of(403, 'AUTH.OPERATOR_ONLY', 'only the operator token may do this');
    }
    if (audience === 'user' && principal.kind !== 'user') throw new ProblemError(notFoundProblem());
    request[PRINCIPAL] = principal;
    return true;
  }

  private async authenticate(header: unknown): Promise<Principal | null> {
    if (typeof header !== 'string') return null;
    const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(header);
    if (!match) return null;
    const hash = hashToken(match[1]!);
    if (sameDigest(hash, this.operatorTokenHash)) return { kind: 'operator' };
    const userId = claimedUserId(match[1]!);
    if (!userId) return null;
    const { state } = await this.aggregates.load(userDecider, streams.user(userId));
    if (state.status !== 'active') return null;
    const valid = Object.values(state.tokens).some((token) => !token.revoked && sameDigest(token.hash, hash));
    return valid ? { kind: 'user', userId } : null;
  }
}
