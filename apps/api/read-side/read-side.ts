import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { isUuid, SLUG_PATTERN } from '../../../libs/domain/kernel/index.js';
import { ReadTransaction, withReadScope } from '../../../libs/persistence/index.js';
import { enterOrg, type OrgMembership } from '../../../projections/organizations/index.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';

/** Injection token of what the query side runs on. */
export const READ_SIDE = Symbol('ReadSide');

export interface ReadSide {
  /** The app role's pool: row-level security binds every query on it. */
  readonly appPool: pg.Pool;
  /** The projections the API reads: what a consistency token waits for. */
  readonly projectionNames: readonly string[];
  /**
   * Those of them only the audit routes read: a consistency token waits for
   * them on the audit routes alone (ConsistencyGate).
   */
  readonly auditOnlyProjectionNames: readonly string[];
  /** How long a request with X-Consistency-Token may wait (DESIGN.md §7: 5 s). */
  readonly consistencyWaitMs: number;
  /** How many requests may wait for a consistency token at once (ConsistencyGate). */
  readonly maxWaiting: number;
}

/**
 * Reads outside a request's read scope (request-read-scope.ts), each in its
 * own read-only transaction of the app role with the scope set in it, so
 * row-level security scopes every statement even if one forgot its
 * `WHERE org_id`: for code that has no request (the benchmark) or that must
 * read again after its request's snapshot (GET /v1/users/me after a wait).
 */
@Injectable()
export class ReadModels {
  constructor(@Inject(READ_SIDE) private readonly readSide: ReadSide) {}

  /** Platform reads for one user (their profile, tokens, the orgs they belong to): no tenant set. */
  asUser<T>(userId: string, read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withReadScope(this.readSide.appPool, { userId }, read);
  }

  /**
   * Reads inside one org for a member of it. `{org}` is the org's id or slug;
   * whatever does not name an org the caller belongs to (missing, another
   * tenant's, left, malformed) is the same 404 (DESIGN.md §5), decided in
   * the same transaction and snapshot as the read itself. `BEGIN`, the scope
   * and the membership go out in one round trip.
   */
  async inOrg<T>(
    org: string,
    userId: string,
    read: (client: pg.PoolClient, membership: OrgMembership) => Promise<T>,
  ): Promise<T> {
    if (!isUuid(org) && !SLUG_PATTERN.test(org)) throw new ProblemError(notFoundProblem());
    const { transaction, first: membership } = await ReadTransaction.begin(
      this.readSide.appPool,
      { userId },
      (client) => enterOrg(client, isUuid(org) ? org.toLowerCase() : org),
    );
    try {
      if (!membership) throw new ProblemError(notFoundProblem());
      const result = await read(transaction.client, membership);
      await transaction.end();
      return result;
    } finally {
      await transaction.abort();
    }
  }
}
