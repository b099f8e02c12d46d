import type pg from 'pg';
import type { Logger } from 'pino';
import { type EventStore, type Position } from '../event-store/index.js';
import { type Upcast } from './apply-batch.js';
import { type Projection } from './projection.js';

// What a blue/green rebuild (rebuild.ts) is asked and answers: its options,
// progress, result and refusals, and the advisory locks it shares with the
// live runner and the status.

/** The session advisory lock one rebuild of a projection holds (a second is refused). */
export function buildLockName(projectionName: string): string {
  return `tenantry.projection-build:${projectionName}`;
}

/**
 * The transaction advisory lock a switch holds exclusively and every batch
 * of the live runner holds shared: a switch waits for the batch in flight,
 * and the next batch waits for the switch, before touching any table.
 */
export function switchLockName(projectionName: string): string {
  return `tenantry.projection-switch:${projectionName}`;
}

export type RebuildRefusalCode =
  | 'PROJECTION.REBUILD_RUNNING'
  | 'PROJECTION.NOT_TENANT_SCOPED'
  | 'PROJECTION.NOT_INSTALLED'
  | 'PROJECTION.VERSION_MISMATCH'
  | 'PROJECTION.REBUILD_INTERRUPTED'
  | 'PROJECTION.REBUILD_FAILED';

/** A rebuild that did not (or not yet) switch in, and why; `code` is stable. */
export class RebuildRefused extends Error {
  constructor(
    readonly code: RebuildRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'RebuildRefused';
  }
}

export interface RebuildProgress {
  readonly name: string;
  /** `completing`: a bulk build's per-tenant end (Projection.completeBuild). */
  readonly phase: 'building' | 'completing' | 'switching' | 'done';
  /** The last event applied to the side tables. */
  readonly position: Position;
  /** The log's head when the rebuild (re)started; it moves on while the rebuild runs. */
  readonly head: Position;
  /** Events applied to the side tables, including those of a killed run resumed. */
  readonly eventsApplied: number;
  /** Events this run applied. */
  readonly eventsThisRun: number;
  /**
   * Events of the log up to `head` (those of the org, with an org): the
   * progress bar's total, also in `projection.builds.events_total`. The log
   * grows while the rebuild runs, so `eventsApplied` may pass it at the end.
   */
  readonly total: number;
}

export interface RebuildOptions {
  readonly projection: Projection;
  readonly eventStore: EventStore;
  /** Owner role: creates the side schema; its settings open the rebuild's own session. */
  readonly ownerPool: pg.Pool;
  readonly upcast: Upcast;
  readonly logger: Logger;
  /**
   * Rebuild only this tenant's rows, reading only the streams that start
   * with `streamPrefix` (the domain's tenant prefix; DESIGN.md §8 `--org`).
   */
  readonly tenant?: { readonly orgId: string; readonly streamPrefix: string };
  /** Events per transaction (default 1000). */
  readonly batchSize?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Stops between batches; what is committed stays, and the next run resumes from it. */
  readonly signal?: AbortSignal;
}

export interface RebuildResult {
  readonly name: string;
  readonly version: number;
  readonly policyVersion: number | null;
  readonly orgId: string | null;
  /** The checkpoint after the switch: never before where it was. */
  readonly position: Position;
  readonly eventsApplied: number;
  readonly eventsThisRun: number;
  /** Resumed the side tables of an earlier run that was killed or stopped. */
  readonly resumed: boolean;
  readonly seconds: number;
}
