import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { isUuid, SLUG_PATTERN } from '../../../libs/domain/kernel/index.js';
import { setTenant, withReadScope } from '../../../libs/persistence/index.js';
import { type OrgMembership, resolveOrgMembership } from '../../../projections/organizations/index.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';

/** Injection token of what the query side runs on. */
export const READ_SIDE = Symbol('ReadSide');

export interface ReadSide {
  /** The app role's pool: row-level security binds every query on it. */
  readonly appPool: pg.Pool;
  /** The projections the API reads: what a consistency token waits for. */
  readonly projectionNames: readonly string[];
  /** How long a request with X-Consistency-Token may wait (DESIGN.md §7: 5 s). */
  readonly consistencyWaitMs: number;
  /** How many requests may wait for a consistency token at once (ConsistencyGate). */
  readonly maxWaiting: number;
}

/**
 * How query handlers reach the read models (DESIGN.md §7, STYLE.md §6):
 * one read-only transaction of the app role per answer, with the tenant
 * set in it, so row-level security scopes every statement even if one
 * forgot its `WHERE org_id`.
 */
@Injectable()
export class ReadModels {
  constructor(@Inject(READ_SIDE) private readonly readSide: ReadSide) {}

  /** Platform reads for one user (their profile, tokens, the orgs they belong to): no tenant set. */
  asUser<T>(userId: string, read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withReadScope(this.readSide.appPool, { userId }, read);
  }

  /** Platform reads with no user at all (authentication). */
  anonymous<T>(read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withReadScope(this.readSide.appPool, {}, read);
  }

  /**
   * Reads inside one org for a member of it. `{org}` is the org's id or slug;
   * whatever does not name an org the caller belongs to (missing, another
   * tenant's, left, malformed) is the same 404 (DESIGN.md §5), decided in
   * the same transaction and snapshot as the read itself.
   */
  inOrg<T>(
    org: string,
    userId: string,
    read: (client: pg.PoolClient, membership: OrgMembership) => Promise<T>,
  ): Promise<T> {
    if (!isUuid(org) && !SLUG_PATTERN.test(org)) throw new ProblemError(notFoundProblem());
    return withReadScope(this.readSide.appPool, { userId }, async (client) => {
      const membership = await resolveOrgMembership(client, isUuid(org) ? org.toLowerCase() : org, userId);
      if (!membership) throw new ProblemError(notFoundProblem());
      await setTenant(client, membership.orgId);
      return read(client, membership);
    });
  }
}
