import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ProblemError } from '../http/problem-details.js';

/** Injection token of the limits below. */
export const AUTH_FAILURE_LIMITS = Symbol('AuthFailureLimits');

export interface AuthFailureLimits {
  /** Failed authentications one client address may make per window; the next ones answer 429. */
  readonly attempts: number;
  readonly windowSeconds: number;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { attempts: 20, windowSeconds: 60 };

/**
 * Failed authentication is rate-limited per client address (issue 15):
 * each 401 spends one of `attempts`; once they are spent, every request
 * from that address to a route that authenticates answers 429 with
 * `Retry-After` (seconds until the window ends) without its token being
 * looked at, so guessing stops costing us lookups. Successful requests
 * spend nothing, so a legitimate user is never limited, and public routes
 * (probes, metrics) are not limited at all.
 *
 * Counters live in this process's memory (rate-limiter-flexible): each API
 * replica limits on its own. The address is the TCP peer's (Express's
 * `request.ip` without `trust proxy`): behind a reverse proxy every client
 * shares the proxy's address.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly failures: RateLimiterMemory;

  constructor(@Inject(AUTH_FAILURE_LIMITS) private readonly limits: AuthFailureLimits) {
    this.failures = new RateLimiterMemory({ points: limits.attempts, duration: limits.windowSeconds });
  }

  /** Throws the 429 when the address has spent its failures. */
  async refuseIfBlocked(address: string): Promise<void> {
    const spent = await this.failures.get(address);
    if (spent && spent.consumedPoints >= this.limits.attempts) throw tooManyFailures(spent);
  }

  /** Spends one failure of the address; returns the refusal to answer: 401, or 429 once spent. */
  async refusal(address: string, unauthorized: ProblemError): Promise<ProblemError> {
    try {
      await this.failures.consume(address);
      return unauthorized;
    } catch (error) {
      if (error instanceof RateLimiterRes) return tooManyFailures(error);
      throw error;
    }
  }
}

function tooManyFailures(spent: RateLimiterRes): ProblemError {
  const seconds = Math.max(1, Math.ceil(spent.msBeforeNext / 1000));
  return ProblemError.of(
    429,
    'AUTH.TOO_MANY_FAILURES',
    'too many failed authentications from this address; retry later',
  ).withHeaders({ 'Retry-After': String(seconds) });
}
