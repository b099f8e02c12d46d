import { type EventStore, type Position, START } from '../event-store/index.js';
import { type Checkpoint, type CheckpointState, type Queryable, readCheckpoints } from './checkpoint.js';
import { APPLIER_LOCK_HELD_SQL, applierLockName } from './projection-runner.js';
import { buildLockName } from './rebuild.js';
import { type Projection } from './projection.js';

/** Events counted at most per projection: beyond it, status says "at least". */
export const LAG_COUNT_CAP = 10_000;

/** The projections' own state, or `not_installed` before their first run. */
export type ProjectionState = CheckpointState | 'not_installed';

/** One line of `tenantry projections status` and of GET /v1/admin/projections (DESIGN.md §8). */
export interface ProjectionStatus {
  readonly name: string;
  /** The version this code builds. */
  readonly version: number;
  /** The version the database holds; differs from `version` until a rebuild. */
  readonly installedVersion: number | null;
  /** The access policy version its rows were built under; null for a projection of no policy-derived data. */
  readonly policyVersion: number | null;
  /** The access policy version this code builds under; null for a projection of no policy-derived data. */
  readonly currentPolicyVersion: number | null;
  /** Built under another access policy than this code's: a rebuild brings it current. */
  readonly stale: boolean;
  readonly state: ProjectionState;
  /** Some process holds the applier lock: a runner is applying it (or waiting for a skip). */
  readonly running: boolean;
  readonly position: Position;
  readonly head: Position;
  /** Events after `position` up to `head`; at most the cap, then `lagEventsCapped`. */
  readonly lagEvents: number;
  readonly lagEventsCapped: boolean;
  /** Seconds since the first event not yet applied was recorded; 0 when caught up. */
  readonly lagSeconds: number;
  readonly lastError: string | null;
  readonly failedPosition: Position | null;
  readonly failedEventType: string | null;
  readonly retries: number;
  readonly eventsApplied: number;
  readonly updatedAt: Date | null;
  /** Events skipped by support staff, oldest first (DESIGN.md §7). */
  readonly skips: readonly SkipRecord[];
  /** A rebuild in progress (or killed, to be resumed): where its side tables are. */
  readonly rebuild: RebuildRecord | null;
}

export interface SkipRecord {
  readonly position: Position;
  readonly eventType: string;
  readonly eventId: string | null;
  readonly reason: string;
  readonly actor: string;
  readonly skippedAt: Date;
}

export interface RebuildRecord {
  readonly version: number;
  readonly policyVersion: number | null;
  readonly orgId: string | null;
  readonly position: Position;
  readonly eventsApplied: number;
  /** The log's head when the rebuild (re)started: what it builds towards. */
  readonly targetPosition: Position | null;
  /**
   * Events of the log up to `targetPosition` (of the org, for one tenant's):
   * `eventsApplied / eventsTotal` is the share done (a little past 1 when
   * the log grew meanwhile). Null until counted, or when it was not.
   */
  readonly eventsTotal: number | null;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  /** Some process holds the build lock; false: a killed rebuild, resumed by the next `rebuild`. */
  readonly running: boolean;
}

export interface StatusOptions {
  /** Defaults to {@link LAG_COUNT_CAP}. */
  readonly lagCap?: number;
}

/**
 * The health of each projection: its checkpoint row, the log's head, and the
 * lag between them. Works with the owner or the app pool (both may read the
 * checkpoints). Lag is counted by reading the log after the checkpoint, up
 * to a cap: exact for a projection that keeps up, bounded for one that is
 * far behind. Projections at the same position share one count.
 */
export async function readProjectionStatus(
  pool: Queryable,
  eventStore: EventStore,
  projections: readonly Projection[],
  options: StatusOptions = {},
): Promise<ProjectionStatus[]> {
  const cap = options.lagCap ?? LAG_COUNT_CAP;
  const head = await eventStore.headPosition();
  const checkpoints = await readCheckpoints(
    pool,
    projections.map((p) => p.name),
  );
  const { rows } = await pool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  const now = rows[0]!.now;
  const lags = new Map<Position, Promise<Lag>>();
  const lagAt = (position: Position) => {
    let lag = lags.get(position);
    if (!lag) lags.set(position, (lag = measureLag(eventStore, position, head, cap, now)));
    return lag;
  };

  const names = projections.map((p) => p.name);
  const [skips, rebuilds] = await Promise.all([readSkips(pool, names), readRebuilds(pool, names)]);

  const statuses: ProjectionStatus[] = [];
  for (const projection of projections) {
    const checkpoint = checkpoints.get(projection.name);
    const position = checkpoint?.position ?? START;
    const [lag, running] = await Promise.all([lagAt(position), isApplierRunning(pool, projection.name)]);
    statuses.push({
      ...toStatus(projection, checkpoint, { head, running, ...lag }),
      skips: skips.get(projection.name) ?? [],
      rebuild: rebuilds.get(projection.name) ?? null,
    });
  }
  return statuses;
}

/** Cheap, for /ready: no event store reads. */
export async function readProjectionStates(
  pool: Queryable,
  names: readonly string[],
): Promise<Array<{ name: string; state: ProjectionState }>> {
  const checkpoints = await readCheckpoints(pool, names);
  return names.map((name) => ({ name, state: checkpoints.get(name)?.state ?? 'not_installed' }));
}

/**
 * Of these projections, those no process applies right now: nobody holds
 * their applier lock. A checkpoint row still says `live` after its runner
 * lost Postgres (a restart) or died, until a runner takes the lock again.
 */
export async function projectionsWithoutApplier(
  pool: Queryable,
  names: readonly string[],
): Promise<string[]> {
  const held = await Promise.all(names.map((name) => isApplierRunning(pool, name)));
  return names.filter((_, index) => !held[index]);
}

/** True when any of these projections has stopped at an event it cannot apply. */
export async function isAnyProjectionFailed(pool: Queryable, names: readonly string[]): Promise<boolean> {
  const states = await readProjectionStates(pool, names);
  return states.some((s) => s.state === 'failed');
}

interface Lag {
  readonly lagEvents: number;
  readonly lagEventsCapped: boolean;
  readonly lagSeconds: number;
}

async function measureLag(
  eventStore: EventStore,
  position: Position,
  head: Position,
  cap: number,
  now: Date,
): Promise<Lag> {
  let counted = 0;
  let firstRecordedAt: Date | undefined;
  // One past the cap tells "exactly the cap" from "more". Events appended
  // after `head` was read are not lag yet, so head and count agree.
  for await (const event of eventStore.readAll({ after: position, maxCount: cap + 1 })) {
    if (event.position > head) break;
    firstRecordedAt ??= event.recordedAt;
    counted++;
  }
  const lagSeconds = firstRecordedAt
    ? Math.max(0, Math.round(now.getTime() - firstRecordedAt.getTime()) / 1000)
    : 0;
  return { lagEvents: Math.min(counted, cap), lagEventsCapped: counted > cap, lagSeconds };
}

/** Whether a projection's rows were built under another access policy than this code's (DESIGN.md §8). */
export function isStale(projection: Projection, builtUnder: number | null | undefined): boolean {
  if (projection.policyVersion === undefined || builtUnder === undefined) return false;
  return builtUnder !== projection.policyVersion;
}

async function readSkips(pool: Queryable, names: readonly string[]): Promise<Map<string, SkipRecord[]>> {
  const { rows } = await pool.query<{
    name: string;
    position: string;
    event_type: string;
    event_id: string | null;
    reason: string;
    actor: string;
    skipped_at: Date;
  }>(
    `SELECT name, position, event_type, event_id, reason, actor, skipped_at
       FROM projection.skips WHERE name = ANY($1::text[]) ORDER BY skipped_at, id`,
    [names],
  );
  const byName = new Map<string, SkipRecord[]>();
  for (const row of rows) {
    const list = byName.get(row.name) ?? [];
    list.push({
      position: row.position as Position,
      eventType: row.event_type,
      eventId: row.event_id,
      reason: row.reason,
      actor: row.actor,
      skippedAt: row.skipped_at,
    });
    byName.set(row.name, list);
  }
  return byName;
}

async function readRebuilds(pool: Queryable, names: readonly string[]): Promise<Map<string, RebuildRecord>> {
  const { rows } = await pool.query<{
    name: string;
    version: number;
    policy_version: number | null;
    org_id: string | null;
    position: string;
    events_applied: string;
    target_position: string | null;
    events_total: string | null;
    started_at: Date;
    updated_at: Date;
  }>(
    `SELECT name, version, policy_version, org_id, position, events_applied, target_position, events_total,
            started_at, updated_at
       FROM projection.builds WHERE name = ANY($1::text[])`,
    [names],
  );
  const result = new Map<string, RebuildRecord>();
  for (const row of rows) {
    const { rows: held } = await pool.query<{ held: boolean }>(APPLIER_LOCK_HELD_SQL, [
      buildLockName(row.name),
    ]);
    result.set(row.name, {
      version: row.version,
      policyVersion: row.policy_version,
      orgId: row.org_id,
      position: row.position as Position,
      eventsApplied: Number(row.events_applied),
      targetPosition: row.target_position as Position | null,
      eventsTotal: row.events_total === null ? null : Number(row.events_total),
      startedAt: row.started_at,
      updatedAt: row.updated_at,
      running: held[0]!.held,
    });
  }
  return result;
}

async function isApplierRunning(pool: Queryable, name: string): Promise<boolean> {
  const { rows } = await pool.query<{ held: boolean }>(APPLIER_LOCK_HELD_SQL, [applierLockName(name)]);
  return rows[0]!.held;
}

function toStatus(
  projection: Projection,
  checkpoint: Checkpoint | undefined,
  figures: Lag & { head: Position; running: boolean },
): Omit<ProjectionStatus, 'skips' | 'rebuild'> {
  return {
    name: projection.name,
    version: projection.version,
    installedVersion: checkpoint?.version ?? null,
    policyVersion: checkpoint?.policyVersion ?? null,
    currentPolicyVersion: projection.policyVersion ?? null,
    stale: isStale(projection, checkpoint?.policyVersion),
    state: checkpoint?.state ?? 'not_installed',
    running: figures.running,
    position: checkpoint?.position ?? START,
    head: figures.head,
    lagEvents: figures.lagEvents,
    lagEventsCapped: figures.lagEventsCapped,
    lagSeconds: figures.lagSeconds,
    lastError: checkpoint?.lastError ?? null,
    failedPosition: checkpoint?.failedPosition ?? null,
    failedEventType: checkpoint?.failedEventType ?? null,
    retries: checkpoint?.retries ?? 0,
    eventsApplied: checkpoint?.eventsApplied ?? 0,
    updatedAt: checkpoint?.updatedAt ?? null,
  };
}
