import type pg from 'pg';
import { maxPosition, type Position, type RecordedEvent, START } from '../event-store/index.js';
import { setTenant } from '../persistence/index.js';
import { toProjectedEvent } from './apply-batch.js';
import { ApplierConnection } from './applier-connection.js';
import { LazyTenant } from './lazy-tenant.js';
import { notifyCheckpoint, readCheckpoint } from './checkpoint.js';
import { completeBuild } from './complete-build.js';
import { type BatchMode, openBatch } from './projection.js';
import { analyzeTables } from './statistics.js';
import {
  buildSchemaName,
  redirectedClient,
  retiredSchemaName,
  splitTableName,
  tableRedirect,
} from './side-tables.js';
import {
  type RebuildOptions,
  type RebuildProgress,
  RebuildRefused,
  type RebuildResult,
  buildLockName,
  switchLockName,
} from './rebuild-contract.js';
import { countEvents, inTransaction, requireTenantTables } from './rebuild-support.js';

export * from './rebuild-contract.js';

/**
 * Blue/green rebuilds (DESIGN.md §8; README.md "Rebuilds"): the projection's
 * code builds its tables again from the start of the log in a side schema,
 * while the live tables keep serving; once the side tables have caught up,
 * one transaction swaps them in and drops the old ones.
 */

/** How long the switch waits for readers to leave the live tables before it gives way and retries. */
const SWITCH_LOCK_TIMEOUT_MS = 250;
const SWITCH_ATTEMPTS = 200;
/** How long one transaction of the build phase may apply events before it commits. */
const PAGE_TRANSACTION_BUDGET_MS = 100;
/** Postgres: lock_timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';

interface BuildRow {
  version: number;
  policy_version: number | null;
  org_id: string | null;
  schema_name: string;
  position: string;
  events_applied: string;
}

/**
 * Rebuilds one projection beside its live tables and switches it in.
 *
 * 1. Takes the projection's build lock (a second rebuild is refused) on a
 *    session of its own, and creates the side schema with the projection's
 *    DDL, the tenant policy included, or resumes the side schema a killed
 *    run left when it was building the same version, policy and org.
 * 2. Applies the log, page by page, each page and the build's position in
 *    one transaction (`projection.builds`), with the projection's own
 *    `apply` on a client whose table names point at the side schema.
 * 3. Switches, in one transaction: takes the switch lock (the live runner's
 *    batches hold it shared, so none is in flight and the next waits),
 *    applies the events the live checkpoint has that the build lacks, then
 *    moves the live tables out and the side tables in (`ALTER TABLE … SET
 *    SCHEMA`: queries wait for the instant it takes, then read the new
 *    tables, never an empty or half-built one), sets the checkpoint to the
 *    later of the two positions (consistency tokens stay monotonic) with the
 *    new version, policy version and generation, and drops the old tables.
 *
 * With `tenant`, only that tenant's streams are read, never beyond the live
 * checkpoint, and the switch replaces that tenant's rows in the live tables
 * (under its RLS tenant) instead of the tables; the checkpoint stays.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { projection, eventStore, upcast } = options;
  const name = projection.name;
  const orgId = options.tenant?.orgId ?? null;
  const batchSize = options.batchSize ?? 1000;
  const log = options.logger.child({ component: 'rebuild', projection: name, ...(orgId ? { orgId } : {}) });
  const started = process.hrtime.bigint();
  const schema = buildSchemaName(name);
  const rewrite = tableRedirect(projection, schema);
  const streamPrefix = options.tenant?.streamPrefix;
  const policyVersion = projection.policyVersion ?? null;

  const connection = await ApplierConnection.open(
    { ...options.ownerPool.options, application_name: `tenantry-rebuild:${name}` },
    log,
  );
  let pagesConnection: ApplierConnection | undefined;
  try {
    if (!(await connection.tryLock(buildLockName(name)))) {
      throw new RebuildRefused('PROJECTION.REBUILD_RUNNING', `a rebuild of ${name} is already running`);
    }
    const raw = connection.client;
    const side = redirectedClient(raw, rewrite);
    // The build's pages go through a pipelined session of their own, so a page's statements
    // leave together instead of taking a round trip each; `raw` keeps the build lock, the DDL
    // (several statements in one string, which a pipelined session cannot run) and the switch.
    pagesConnection = await ApplierConnection.open(
      { ...options.ownerPool.options, application_name: `tenantry-rebuild-pages:${name}` },
      log,
      { pipeline: true },
    );
    const pages = { raw: pagesConnection.client, side: redirectedClient(pagesConnection.client, rewrite) };

    if (orgId) {
      const live = await readCheckpoint(raw, name);
      if (!live)
        throw new RebuildRefused('PROJECTION.NOT_INSTALLED', `${name} is not installed: rebuild it whole`);
      if (live.version !== projection.version) {
        throw new RebuildRefused(
          'PROJECTION.VERSION_MISMATCH',
          `${name} is installed at version ${live.version}, this code builds ${projection.version}: rebuild it whole`,
        );
      }
    }

    // 1. The side schema: resumed, or created afresh.
    const previous = (
      await raw.query<BuildRow>(
        'SELECT version, policy_version, org_id, schema_name, position, events_applied FROM projection.builds WHERE name = $1',
        [name],
      )
    ).rows[0];
    const schemaExists =
      (await raw.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;
    const resumed =
      previous !== undefined &&
      schemaExists &&
      previous.version === projection.version &&
      previous.policy_version === policyVersion &&
      previous.org_id === orgId;
    let position = resumed ? (previous.position as Position) : START;
    let eventsApplied = resumed ? Number(previous.events_applied) : 0;
    let lastRecordedAt: Date | null = null;
    if (!resumed) {
      await inTransaction(raw, async () => {
        await raw.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await raw.query(`CREATE SCHEMA ${schema}`);
        await raw.query(rewrite(projection.schemaSql));
        if (orgId) await requireTenantTables(raw, projection, schema);
        await raw.query('DELETE FROM projection.builds WHERE name = $1', [name]);
        await raw.query(
          `INSERT INTO projection.builds (name, version, policy_version, org_id, schema_name, position)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [name, projection.version, policyVersion, orgId, schema, START],
        );
      });
    }
    log.info({ resumedFrom: resumed ? position : null, schema }, 'rebuild started');

    // The target, in the build's row for status and /metrics (applied / total is the share done):
    // counted when the store counts cheaply, or when a progress bar needs it anyway.
    const head = await eventStore.headPosition();
    const total =
      eventStore.countEvents || options.onProgress ? await countEvents(eventStore, streamPrefix, head) : null;
    await raw.query(
      'UPDATE projection.builds SET target_position = $2, events_total = $3, updated_at = now() WHERE name = $1',
      [name, head, total],
    );
    let eventsThisRun = 0;
    const report = (phase: RebuildProgress['phase']) =>
      options.onProgress?.({ name, phase, position, head, eventsApplied, eventsThisRun, total: total ?? 0 });

    /**
     * Applies events to the side tables and moves the build's row, in the
     * caller's transaction: all of them, or with `budgetMs` as many as fit in
     * that time (at least one). Returns how many it applied.
     */
    const applyToSide = async (
      session: { readonly raw: pg.ClientBase; readonly side: pg.ClientBase },
      events: readonly RecordedEvent[],
      budgetMs = Infinity,
      mode: BatchMode = 'live',
    ): Promise<number> => {
      const tenant = new LazyTenant(session.side);
      const deadline = Date.now() + budgetMs;
      const batch = openBatch(projection, mode);
      const tenants = new Set<string>();
      let applied = 0;
      const refuse = (recorded: RecordedEvent, error: unknown) =>
        new RebuildRefused(
          'PROJECTION.REBUILD_FAILED',
          `${name} cannot apply ${recorded.type} at ${recorded.position} (${recorded.metadata.eventId}): ` +
            `${error instanceof Error ? error.message : String(error)}; fix it and rerun: the rebuild resumes here`,
        );
      for (const recorded of events) {
        if (applied > 0 && Date.now() > deadline) break;
        applied++;
        const event = toProjectedEvent(recorded, upcast);
        tenant.bind(event.orgId);
        if (event.orgId !== null) tenants.add(event.orgId);
        try {
          await batch.apply(tenant.client, event);
        } catch (error) {
          throw refuse(recorded, error);
        }
      }
      const last = events[applied - 1]!;
      try {
        await batch.finish(tenant.client);
      } catch (error) {
        throw refuse(last, error);
      }
      await session.raw.query(
        `UPDATE projection.builds SET position = $2, events_applied = events_applied + $3,
                last_event_recorded_at = $4, updated_at = now(),
                tenants = ARRAY(SELECT DISTINCT t FROM unnest(tenants || $5::uuid[]) AS t)
         WHERE name = $1`,
        [name, last.position, applied, last.recordedAt, [...tenants]],
      );
      position = last.position;
      eventsApplied += applied;
      eventsThisRun += applied;
      lastRecordedAt = last.recordedAt;
      return applied;
    };

    /** The next page after `position`, not beyond `limit`. */
    const nextPage = async (limit: Position | undefined): Promise<RecordedEvent[]> => {
      const page: RecordedEvent[] = [];
      for await (const event of eventStore.readAll({
        after: position,
        maxCount: batchSize,
        ...(streamPrefix ? { streamPrefix } : {}),
      })) {
        if (limit !== undefined && event.position > limit) break;
        page.push(event);
      }
      return page;
    };

    /** Applies the log to the side tables, page by page, each page committed with the build's position. */
    const catchUp = async (mode: BatchMode) => {
      for (;;) {
        if (options.signal?.aborted) {
          throw new RebuildRefused(
            'PROJECTION.REBUILD_INTERRUPTED',
            `rebuild of ${name} stopped at ${position}: run it again to resume`,
          );
        }
        // One tenant's rows never get ahead of the live checkpoint: the live runner applies what follows.
        const limit = orgId ? (await readCheckpoint(raw, name))?.position : undefined;
        const page = await nextPage(limit);
        if (page.length === 0) return;
        // Short transactions: while one is open, the Postgres event store shows
        // subscribers (the live runners) no newer event, so a long one delays
        // every consistency token the API waits for.
        for (let rest = page; rest.length > 0;) {
          const applied = await inTransaction(pages.raw, () =>
            applyToSide(pages, rest, PAGE_TRANSACTION_BUDGET_MS, mode),
          );
          rest = rest.slice(applied);
          report('building');
        }
      }
    };

    // 2. Catch up in the side tables. In bulk mode (a projection with
    // completeBuild) the pages leave work for the end, done once per tenant;
    // what the log gained meanwhile is then applied live. A resumed build
    // starts over in bulk mode from its position and completes again.
    report('building');
    if (projection.completeBuild) {
      await catchUp('building');
      report('completing');
      await completeBuild({ projection, raw, side, log });
    }
    await catchUp('live');

    // 3. The switch, with fresh planner statistics: tables that grew from nothing have none,
    // and the queries would meet them with plans for empty tables.
    const sideTables = projection.tables.map((table) => `${schema}.${splitTableName(table).table}`);
    await analyzeTables(raw, sideTables, log);
    report('switching');
    const switchOnce = () =>
      inTransaction(raw, async () => {
        await raw.query('SELECT pg_advisory_xact_lock(hashtext($1))', [switchLockName(name)]);
        const live = await readCheckpoint(raw, name, { forUpdate: true });
        const livePosition = live?.position ?? START;
        for (;;) {
          const page = await nextPage(livePosition);
          if (page.length === 0) break;
          await applyToSide({ raw, side }, page);
        }
        if (orgId) {
          await setTenant(raw, orgId);
          for (const table of projection.tables) {
            const sideTable = `${schema}.${splitTableName(table).table}`;
            await raw.query(`DELETE FROM ${table} WHERE org_id = $1`, [orgId]);
            await raw.query(`INSERT INTO ${table} SELECT * FROM ${sideTable} WHERE org_id = $1`, [orgId]);
          }
          await setTenant(raw, null);
          await raw.query(`DROP SCHEMA ${schema} CASCADE`);
          await raw.query('DELETE FROM projection.builds WHERE name = $1', [name]);
          await notifyCheckpoint(raw, name);
          return livePosition;
        }
        // Every live table at once, or none: a reader holding one of them while waiting for
        // another would otherwise deadlock with the switch. Waiting is bounded, below the
        // deadlock timeout, so a reader is never the one aborted: the switch gives way and retries.
        const existing = (
          await raw.query<{ name: string }>(
            'SELECT t.name FROM unnest($1::text[]) AS t(name) WHERE to_regclass(t.name) IS NOT NULL',
            [projection.tables],
          )
        ).rows.map((row) => row.name);
        if (existing.length > 0) {
          await raw.query(`SET LOCAL lock_timeout = '${SWITCH_LOCK_TIMEOUT_MS}ms'`);
          await raw.query(`LOCK TABLE ${existing.join(', ')} IN ACCESS EXCLUSIVE MODE`);
        }
        const retired = retiredSchemaName(name);
        await raw.query(`DROP SCHEMA IF EXISTS ${retired} CASCADE`);
        await raw.query(`CREATE SCHEMA ${retired}`);
        for (const table of projection.tables) {
          const { schema: liveSchema, table: bare } = splitTableName(table);
          await raw.query(`ALTER TABLE IF EXISTS ${table} SET SCHEMA ${retired}`);
          await raw.query(`ALTER TABLE ${schema}.${bare} SET SCHEMA ${liveSchema}`);
        }
        await raw.query(`DROP SCHEMA ${retired} CASCADE`);
        await raw.query(`DROP SCHEMA ${schema} CASCADE`);
        const at = maxPosition(livePosition, position);
        const state = live?.state === 'live' && at === livePosition ? 'live' : 'catching_up';
        await raw.query(
          `INSERT INTO projection.checkpoints
           (name, version, policy_version, position, state, events_applied, last_event_recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (name) DO UPDATE SET
           version = excluded.version, policy_version = excluded.policy_version,
           position = excluded.position, state = excluded.state,
           events_applied = excluded.events_applied,
           last_event_recorded_at = coalesce(excluded.last_event_recorded_at, projection.checkpoints.last_event_recorded_at),
           failed_position = NULL, failed_event_type = NULL, failed_event_id = NULL,
           last_error = NULL, retries = 0, generation = projection.checkpoints.generation + 1,
           updated_at = now()`,
          [name, projection.version, policyVersion, at, state, eventsApplied, lastRecordedAt],
        );
        await raw.query('DELETE FROM projection.builds WHERE name = $1', [name]);
        await notifyCheckpoint(raw, name);
        return at;
      });
    let switched: Position | undefined;
    for (let attempt = 1; switched === undefined; attempt++) {
      // A switch rolled back rolls back its catch-up too: so do the counters.
      const counters: {
        position: Position;
        eventsApplied: number;
        eventsThisRun: number;
        lastRecordedAt: Date | null;
      } = { position, eventsApplied, eventsThisRun, lastRecordedAt };
      try {
        switched = await switchOnce();
      } catch (error) {
        ({ position, eventsApplied, eventsThisRun, lastRecordedAt } = counters);
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= SWITCH_ATTEMPTS)
          throw error;
        log.debug({ attempt }, 'switch gave way to readers: retrying');
        await new Promise((resolve) => setTimeout(resolve, 20 * Math.min(attempt, 10)));
      }
    }
    report('done');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    log.info({ position: switched, eventsApplied, eventsThisRun, seconds, resumed }, 'rebuild switched in');
    return {
      name,
      version: projection.version,
      policyVersion,
      orgId,
      position: switched,
      eventsApplied,
      eventsThisRun,
      resumed,
      seconds,
    };
  } finally {
    await pagesConnection?.close();
    await connection.close();
  }
}
