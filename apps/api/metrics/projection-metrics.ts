import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { type EventStore } from '../../../libs/event-store/index.js';
import { type ProjectionStatus, readProjectionStatus } from '../../../libs/projection-runtime/index.js';
import { PROJECTIONS } from '../../../projections/index.js';
import { EVENT_STORE } from '../injection-tokens.js';
import { READ_SIDE, type ReadSide } from '../read-side/read-side.js';
// A value import: Nest's DI reads the constructor's parameter types at run time.
import { HttpMetrics } from './http-metrics.js';

/** One status read serves every projection metric of one scrape. */
const SNAPSHOT_TTL_MS = 500;

/**
 * Projection lag and throughput in /metrics (DESIGN.md §7, §8), read from
 * the checkpoints at scrape time, so they are right whichever process runs
 * the projector. Throughput is `rate(tenantry_projection_events_applied_total[1m])`;
 * a rebuild's share done is `tenantry_projection_rebuild_events_applied /
 * tenantry_projection_rebuild_events_total` (where the total is above 0).
 */
@Injectable()
export class ProjectionMetrics {
  private snapshot: { at: number; statuses: Promise<ProjectionStatus[] | null> } | null = null;
  private readonly appliedSeen = new Map<string, number>();

  constructor(
    metrics: HttpMetrics,
    @Inject(READ_SIDE) private readonly readSide: ReadSide,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
  ) {
    const statuses = () => this.statuses();
    const appliedSeen = this.appliedSeen;
    new Gauge({
      name: 'tenantry_projection_lag_events',
      help: 'Events recorded in the log that the projection has not applied yet (capped)',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        const all = await statuses();
        if (!all) return this.reset();
        for (const status of all) this.set({ projection: status.name }, status.lagEvents);
      },
    });
    new Gauge({
      name: 'tenantry_projection_lag_seconds',
      help: 'Age of the oldest event the projection has not applied yet (0 when caught up)',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        const all = await statuses();
        if (!all) return this.reset();
        for (const status of all) this.set({ projection: status.name }, status.lagSeconds);
      },
    });
    new Gauge({
      name: 'tenantry_projection_failed',
      help: '1 while the projection is stopped in state failed',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        const all = await statuses();
        if (!all) return this.reset();
        for (const status of all) {
          this.set({ projection: status.name }, status.state === 'failed' ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'tenantry_projection_stale',
      help: '1 while the projection was built under another access policy than the running code (rebuild it)',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        const all = await statuses();
        if (!all) return this.reset();
        for (const status of all) this.set({ projection: status.name }, status.stale ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tenantry_projection_rebuild_running',
      help: '1 while a process rebuilds the projection beside its live tables (tenantry projections rebuild)',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        const all = await statuses();
        if (!all) return this.reset();
        for (const status of all) this.set({ projection: status.name }, status.rebuild?.running ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tenantry_projection_rebuild_events_applied',
      help:
        'Events applied to the side tables of a rebuild in progress or stopped (0 when none); ' +
        'its rate is the rebuild speed, and divided by tenantry_projection_rebuild_events_total the share done',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        const all = await statuses();
        if (!all) return this.reset();
        for (const status of all) this.set({ projection: status.name }, status.rebuild?.eventsApplied ?? 0);
      },
    });
    new Gauge({
      name: 'tenantry_projection_rebuild_events_total',
      help:
        'Events a rebuild in progress or stopped builds towards: the log (the org, for one tenant) up to ' +
        'its head when the rebuild (re)started. 0 when there is no rebuild or its total is not counted yet',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        const all = await statuses();
        if (!all) return this.reset();
        for (const status of all) this.set({ projection: status.name }, status.rebuild?.eventsTotal ?? 0);
      },
    });
    new Counter({
      name: 'tenantry_projection_events_applied_total',
      help: 'Events the projection has applied (its throughput is the rate of this)',
      labelNames: ['projection'] as const,
      registers: [metrics.registry],
      async collect() {
        // Unknown while the status cannot be read: the counter keeps its last value.
        for (const status of (await statuses()) ?? []) {
          const applied = Number(status.eventsApplied);
          const seen = appliedSeen.get(status.name) ?? 0;
          // A rebuild starts the count again; a counter never goes down, so it only adds what is new.
          if (applied > seen) this.inc({ projection: status.name }, applied - seen);
          appliedSeen.set(status.name, applied);
        }
      },
    });
  }

  private statuses(): Promise<ProjectionStatus[] | null> {
    const now = Date.now();
    if (!this.snapshot || now - this.snapshot.at > SNAPSHOT_TTL_MS) {
      // Unreadable (Postgres or the event store down): the gauges are left out rather than
      // failing the whole scrape, HTTP and process metrics included; /ready says why.
      const statuses = readProjectionStatus(this.readSide.appPool, this.eventStore, PROJECTIONS).catch(
        () => null,
      );
      this.snapshot = { at: now, statuses };
    }
    return this.snapshot.statuses;
  }
}
