import type pg from 'pg';
import { type EventRef } from '../event-store/index.js';

/**
 * An event as projections see it: its payload lifted to the current schema
 * version (libs/domain/upcasting), where it sits in the log, and whose it is.
 */
export interface ProjectedEvent<Data = unknown> {
  readonly type: string;
  readonly data: Data;
  /** id, position and domain time: what read models record as "granted by". */
  readonly ref: EventRef;
  /** The tenant; null for user events, which belong to no org. */
  readonly orgId: string | null;
  readonly actorId: string | null;
  readonly streamName: string;
  /** When the store recorded it: the basis of lag in seconds. */
  readonly recordedAt: Date;
}

/**
 * A read model and how the log builds it (DESIGN.md §7, STYLE.md §5). The
 * runtime (projection-runner.ts) feeds it every event of the log, in order,
 * in batches; each batch runs in one transaction of the owner role that also
 * moves the checkpoint, so after a crash nothing is applied twice or lost.
 *
 * Before each event the runtime sets the transaction's tenant to the event's
 * org (libs/persistence tenancy.ts), and row-level security is forced on
 * every tenant table, so an `apply` can only read and write rows of the
 * event's own org. User events (no org) run with no tenant: they can only
 * reach platform tables.
 */
export interface Projection {
  /** Stable name: the checkpoint's key, what `tenantry projections` shows. */
  readonly name: string;
  /**
   * Bumped whenever what the projection writes changes (its tables or how an
   * event maps to rows). A new version is built from position 0.
   */
  readonly version: number;
  /**
   * The access policy version its rows derive from, for a projection that
   * materializes policy-derived data (chat-access); absent for the others.
   * Recorded with its checkpoint at each build; a row built under another
   * version reports itself `stale` (DESIGN.md §8) until rebuilt. The runtime
   * compares numbers only: it knows nothing of the policy.
   */
  readonly policyVersion?: number;
  /**
   * The DDL of its tables, run once, as the owner, when this version first
   * starts. Every tenant table ends with `tenantTableSql(table)`, every
   * platform table with `platformTableSql(table)`.
   */
  readonly schemaSql: string;
  /**
   * Its tables, schema-qualified: what the RLS tests and rebuilds enumerate.
   * A rebuild (rebuild.ts) runs `schemaSql` and `apply` with these names
   * pointed at a side schema, so every statement must name its tables
   * exactly as listed here (the constants the queries use).
   */
  readonly tables: readonly string[];
  /**
   * Applies one event inside the batch's transaction. It must ignore event
   * types it does not use, and must not commit, roll back or swallow errors:
   * an error fails the batch, which is retried and then marks the
   * projection failed at this event.
   */
  apply(client: pg.ClientBase, event: ProjectedEvent): Promise<void>;
  /**
   * For a projection that does part of its work once per batch rather than
   * once per event (a recompute over the union of what the batch touched,
   * one multi-row INSERT): a fresh {@link ProjectionBatch} for each batch.
   * Absent, the runtime calls `apply` per event. Either way the rows after a
   * batch must be those that applying its events one by one would leave,
   * except in a build's `building` mode (below).
   */
  batch?(mode?: BatchMode): ProjectionBatch;
  /**
   * Bulk mode, for a projection with work it can leave to the end of a
   * build from position 0 (chat-access: access computed once per org from
   * facts that have caught up, instead of recomputed for every batch that
   * touched it). A rebuild (rebuild.ts) then runs its pages with
   * `batch('building')`, which may leave that work undone, and once the
   * build has caught up with the log calls `completeBuild` once per tenant
   * it applied events of, before applying what came since live
   * (`batch('live')`) and switching. Its rows are then those of a
   * projection applied event by event.
   *
   * The tenant is set on `client` and a transaction is open. `commit`
   * commits what was written so far and opens the next transaction under
   * the same tenant: long transactions hold back what the Postgres event
   * store shows live subscribers, so a large tenant's work commits in
   * steps. It must be safe to run again from the start (a killed rebuild
   * resumes by calling it again).
   */
  completeBuild?(client: pg.ClientBase, tenant: string, commit: () => Promise<void>): Promise<void>;
}

/**
 * `live`: every batch leaves the rows final (the runner, and the pages a
 * rebuild applies once it has caught up). `building`: a build's catch-up,
 * to be completed by `completeBuild`.
 */
export type BatchMode = 'live' | 'building';

/**
 * One batch's work: `apply` for each event, in log order, then `finish`
 * once, all in the batch's transaction and before its checkpoint moves.
 * `finish` sets the tenant of whatever it writes itself (libs/persistence
 * `setTenant`): the runtime set it per event, and it names the last one's.
 */
export interface ProjectionBatch {
  apply(client: pg.ClientBase, event: ProjectedEvent): Promise<void>;
  finish(client: pg.ClientBase): Promise<void>;
}

/** The projection's batch, or one that applies event by event. */
export function openBatch(projection: Projection, mode: BatchMode = 'live'): ProjectionBatch {
  return (
    projection.batch?.(mode) ?? {
      apply: (client, event) => projection.apply(client, event),
      finish: async () => undefined,
    }
  );
}
