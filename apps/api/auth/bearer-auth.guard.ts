import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { findTokenByHash } from '../../../projections/users/index.js';
import { CONSISTENCY_HEADER, ConsistencyGate } from '../read-side/consistency-gate.js';
import { ReadModels } from '../read-side/read-side.js';
import { OPERATOR_TOKEN } from '../runtime.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { claimedUserId, hashToken, sameDigest } from './api-token.js';
import { type Audience, AUDIENCE } from './auth.decorators.js';
import { type AuthenticatedRequest, type Principal, PRINCIPAL } from './principal.js';

const unauthorized = () => ProblemError.of(401, 'AUTH.UNAUTHORIZED', 'a valid bearer token is required');

/**
 * Authenticates every request not marked @Public (DESIGN.md §4): the
 * operator token, or a user's API token looked up by its SHA-256 in the
 * users projection (not revoked, user not suspended). Missing, unknown or
 * revoked tokens and suspended users are all 401 alike.
 *
 * A request carrying X-Consistency-Token first waits for the projections to
 * reach it (ConsistencyGate), so the token lookup itself is read-your-writes:
 * a token issued by a command works on the next request carrying that
 * command's position, and one revoked (or a user suspended) is refused.
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
    private readonly readModels: ReadModels,
    private readonly consistency: ConsistencyGate,
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
    const request = context
      .switchToHttp()
      .getRequest<AuthenticatedRequest & { headers: Record<string, unknown> }>();
    await this.consistency.waitFor(request.headers[CONSISTENCY_HEADER]);
    if (audience === 'public') return true;
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
    const token = await this.readModels.anonymous((client) => findTokenByHash(client, hash));
    // The lookup is by hash, so a match proves possession; the id must still be the one the token names.
    if (!token || token.revoked || token.userStatus !== 'active' || token.userId !== userId) return null;
    return { kind: 'user', userId };
  }
}
