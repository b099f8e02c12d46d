import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { streams } from '../../../libs/domain/streams.js';
import { userDecider } from '../../../libs/domain/user/user.decider.js';
import { type Position } from '../../../libs/event-store/index.js';
import { findTokenByHash, type TokenLookup } from '../../../projections/users/index.js';
import {
  CONSISTENCY_HEADER,
  ConsistencyGate,
  consistencyNotYet,
  type ProjectionsRead,
} from '../read-side/consistency-gate.js';
import { READ_SIDE, type ReadSide } from '../read-side/read-side.js';
import {
  accepts,
  type ConfirmPosition,
  firstReadFor,
  READ_SCOPE,
  READS_MODELS,
  type ReadsModelsOptions,
  ReadScopes,
  type RequestReadScope,
  type ScopedRequest,
  type ScopeTarget,
} from '../read-side/request-read-scope.js';
import { OPERATOR_TOKEN } from '../injection-tokens.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { type HttpRequest } from '../http/http-exchange.js';
import { claimedUserId, hashToken, isWellFormed, sameDigest } from '../../../libs/application/index.js';
import { type Audience, AUDIENCE } from './auth.decorators.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { type AuthenticatedRequest, type Principal, PRINCIPAL } from './principal.js';

/** An attempt whose session found the projections behind the request's consistency token. */
const UNCONFIRMED = Symbol('unconfirmed');

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

/** A presented credential: the operator's token, or a user token (its hash and the user it names). */
type Credential =
  | { readonly kind: 'operator' }
  | {
      readonly kind: 'user';
      readonly hash: string;
      readonly claimedUserId: string;
      readonly wellFormed: boolean;
    };

/**
 * Authenticates every request not marked @Public (DESIGN.md §4): the
 * operator token, or a user's API token looked up by its SHA-256 in the
 * users projection (not revoked, user not suspended). Missing, malformed,
 * unknown or revoked tokens and suspended users are all 401 alike, and each
 * spends one of the client address's failed attempts (AuthFailureLimiter:
 * 429 with Retry-After once they are spent).
 *
 * On a route marked @ReadsModels the lookup is the first statement of the
 * request's read transaction (request-read-scope.ts): the guard opens it,
 * with the org and the chat the path names, in one round trip, and leaves it
 * on the request for the handler. Other routes (commands) look the token up
 * in one statement of their own.
 *
 * Authentication never depends on projection lag for a token the log
 * already holds (DESIGN.md §4): a well-formed token the projection does not
 * accept (unknown to it, or its user suspended there) is checked against
 * its user's own stream in the event store (the token names its user), with
 * or without a consistency token. Revoked tokens are not: a revocation is
 * final, so the log cannot say otherwise. Malformed tokens and tokens naming
 * no user never reach the log, and a token the log refuses too is an
 * ordinary failure the limiter counts.
 *
 * Authentication comes first, then the X-Consistency-Token wait
 * (ConsistencyGate): a request that does not authenticate never waits. A
 * request carrying a token is then authenticated again, in a session that
 * confirms first that the projections have reached its position (a read
 * route's scope opens only then, with the confirmation in its first round
 * trip), so a revocation or a suspension holds for the next request
 * carrying the revoking command's position, even after a Postgres crash
 * took the revocation's batch back (projection runners commit
 * asynchronously; consistency-gate.ts).
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
    @Inject(READ_SIDE) private readonly readSide: ReadSide,
    private readonly scopes: ReadScopes,
    private readonly consistency: ConsistencyGate,
    private readonly aggregates: AggregateStore,
    private readonly failures: AuthFailureLimiter,
    @Inject(OPERATOR_TOKEN) operatorToken: string,
  ) {
    this.operatorTokenHash = hashToken(operatorToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const audience = this.reflector.getAllAndOverride<Audience | undefined>(AUDIENCE, targets) ?? 'user';
    if (audience === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & ScopedRequest & HttpRequest>();
    const address = request.ip ?? request.socket?.remoteAddress ?? 'unknown';
    await this.failures.refuseIfBlocked(address);
    const refuse = async (): Promise<never> => {
      throw await this.failures.refusal(address, unauthorized());
    };

    const token = bearerToken(request.headers.authorization);
    const credential = token ? this.credentialOf(token) : null;
    if (!credential) return refuse();
    // Parsed now, answered (400) only once the caller has authenticated.
    let position: Position | undefined;
    let malformedPosition: unknown;
    try {
      position = this.consistency.parse(request.headers[CONSISTENCY_HEADER]);
    } catch (error) {
      malformedPosition = error;
    }
    const readOptions =
      audience === 'user'
        ? this.reflector.getAllAndOverride<ReadsModelsOptions | undefined>(READS_MODELS, targets)
        : undefined;
    const reads = readOptions !== undefined;
    const projectionsRead = readOptions?.auditHistory ? 'audit' : 'routes';
    const mustWait = position !== undefined && !this.consistency.hasReached(position, projectionsRead);

    if (credential.kind === 'operator') {
      if (malformedPosition !== undefined) throw malformedPosition;
      if (position !== undefined) await this.consistency.waitFor(position, projectionsRead);
      if (audience === 'user') throw new ProblemError(notFoundProblem());
      request[PRINCIPAL] = { kind: 'operator' };
      return true;
    }

    if (!reads || mustWait || malformedPosition !== undefined) {
      let principal = (await this.authenticate(credential)) ?? (await refuse());
      if (malformedPosition !== undefined) throw malformedPosition;
      if (mustWait) await this.consistency.waitFor(position!, projectionsRead);
      if (!reads && position !== undefined) {
        // Authenticated again, in a session that confirms the position first.
        principal =
          (await this.confirmed(position, projectionsRead, (confirm) =>
            this.authenticate(credential, confirm!),
          )) ?? (await refuse());
      }
      if (!reads) {
        if (audience === 'operator') {
          throw ProblemError.of(403, 'AUTH.OPERATOR_ONLY', 'only the operator token may do this');
        }
        request[PRINCIPAL] = principal;
        return true;
      }
    }

    const { org, chatId } = request.params as Record<string, string | undefined>;
    const { answer, firstRead } = readOptions!;
    const query = (request.query ?? {}) as Readonly<Record<string, unknown>>;
    const target = { org, chatId, answer, firstRead: firstRead && firstReadFor(firstRead, query) };
    const opened = await this.confirmed(position, projectionsRead, (confirm) =>
      this.openScope(credential, target, confirm),
    );
    if (!opened) return refuse();
    request[READ_SCOPE] = opened.scope;
    request[PRINCIPAL] = opened.principal;
    return true;
  }

  private credentialOf(token: string): Credential | null {
    const hash = hashToken(token);
    if (sameDigest(hash, this.operatorTokenHash)) return { kind: 'operator' };
    const userId = claimedUserId(token);
    return userId ? { kind: 'user', hash, claimedUserId: userId, wellFormed: isWellFormed(token) } : null;
  }

  /**
   * A user token, in one statement of its own: the users projection, else
   * the user's stream. With `confirm`, the lookup goes on a session that
   * first confirms the request's consistency token, in the same round trip.
   */
  private async authenticate(credential: Extract<Credential, { kind: 'user' }>): Promise<Principal | null>;
  private async authenticate(
    credential: Extract<Credential, { kind: 'user' }>,
    confirm: ConfirmPosition,
  ): Promise<Principal | null | typeof UNCONFIRMED>;
  private async authenticate(
    credential: Extract<Credential, { kind: 'user' }>,
    confirm?: ConfirmPosition,
  ): Promise<Principal | null | typeof UNCONFIRMED> {
    let lookup: TokenLookup | null;
    if (confirm) {
      const client = await this.readSide.appPool.connect();
      let results: [boolean, TokenLookup | null];
      try {
        results = await Promise.all([confirm(client), findTokenByHash(client, credential.hash)]);
      } catch (error) {
        // A statement may still be in flight on it: never pooled again.
        client.release(true);
        throw error;
      }
      client.release();
      const [confirmed, found] = results;
      if (!confirmed) return UNCONFIRMED;
      lookup = found;
    } else {
      lookup = await findTokenByHash(this.readSide.appPool, credential.hash);
    }
    if (accepts(lookup, credential.claimedUserId)) return { kind: 'user', userId: lookup.userId };
    return this.mayBeInTheLog(credential, lookup) ? this.authenticateFromLog(credential) : null;
  }

  /** Opens the request's read scope, authenticating in it; from the user's stream when the projection cannot. */
  private async openScope(
    credential: Extract<Credential, { kind: 'user' }>,
    target: ScopeTarget,
    confirm?: ConfirmPosition,
  ): Promise<{ scope: RequestReadScope; principal: Principal } | null | typeof UNCONFIRMED> {
    const caller = { kind: 'token', hash: credential.hash, claimedUserId: credential.claimedUserId } as const;
    const { scope, lookup, unconfirmed } = await this.scopes.open(caller, target, confirm);
    if (unconfirmed) return UNCONFIRMED;
    if (scope) return { scope, principal: { kind: 'user', userId: scope.userId } };
    if (!this.mayBeInTheLog(credential, lookup)) return null;
    const principal = await this.authenticateFromLog(credential);
    if (!principal) return null;
    const fromLog = await this.scopes.open({ kind: 'user', userId: principal.userId }, target, confirm);
    if (fromLog.unconfirmed) return UNCONFIRMED;
    return { scope: fromLog.scope!, principal };
  }

  /**
   * Runs `attempt` in a session that confirms the consistency token before
   * it reads (ConsistencyGate.confirmIn). When the checkpoints turn out
   * behind it (a Postgres crash took batches back since the gate last read
   * them), waits for them and tries once more; then 503 CONSISTENCY.NOT_YET.
   */
  private async confirmed<T>(
    position: Position | undefined,
    reads: ProjectionsRead,
    attempt: (confirm?: ConfirmPosition) => Promise<T | typeof UNCONFIRMED>,
  ): Promise<T> {
    if (position === undefined) {
      const result = await attempt();
      if (result === UNCONFIRMED) throw new Error('a request without a consistency token was unconfirmed');
      return result;
    }
    const confirm: ConfirmPosition = (client) => this.consistency.confirmIn(client, position, reads);
    for (let tries = 0; tries < 2; tries++) {
      const result = await attempt(confirm);
      if (result !== UNCONFIRMED) return result;
      await this.consistency.waitFor(position, reads);
    }
    throw consistencyNotYet('the read models went back behind this position; retry shortly');
  }

  /**
   * Whether the log may accept what the projection did not: a well-formed
   * token it does not know (just issued, or nothing at all), or one whose
   * user it holds as suspended (maybe reactivated since). Never a revoked
   * token, nor one its row says belongs to another user.
   */
  private mayBeInTheLog(
    credential: Extract<Credential, { kind: 'user' }>,
    lookup: TokenLookup | null,
  ): boolean {
    if (!credential.wellFormed) return false;
    if (lookup === null) return true;
    return !lookup.revoked && lookup.userId === credential.claimedUserId && lookup.userStatus === 'suspended';
  }

  /** The user's own stream is the truth the projection lags behind: one short stream, read by id. */
  private async authenticateFromLog(
    credential: Extract<Credential, { kind: 'user' }>,
  ): Promise<Extract<Principal, { kind: 'user' }> | null> {
    const userId = credential.claimedUserId;
    const { state, position } = await this.aggregates.load(userDecider, streams.user(userId));
    if (state.status !== 'active') return null;
    const held = state.tokens.some((token) => !token.revoked && sameDigest(token.hash, credential.hash));
    return held ? { kind: 'user', userId, fromLog: position } : null;
  }
}
