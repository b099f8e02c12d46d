import os from 'node:os';
import { type Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type pg from 'pg';
import type { Logger } from 'pino';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore } from '../../libs/event-store/index.js';
import {
  type Projection,
  type ProjectionStatus,
  readProjectionStatus,
  rebuildProjection,
  RebuildRefused,
  type RebuildProgress,
  type RebuildResult,
  retryFailedProjection,
  skipFailedEvent,
  SkipRefused,
} from '../../libs/projection-runtime/index.js';
import { PROJECTIONS } from '../../projections/index.js';
import { resolveOrg } from './audit.js';

/**
 * `tenantry projections …` (DESIGN.md §8): status, rebuild, retry, skip.
 * Each function returns the exit code and writes its result: one JSON
 * document on stdout with --json, lines for people otherwise; progress and
 * messages go to stderr. None asks anything: they run the same whether
 * stdin is a terminal or not.
 */

/**
 * 0: done. 1: refused or failed (the message says why). 2: bad usage or
 * configuration. 3: `projections status` found a projection `failed` (it
 * printed the status all the same), so a script or a probe need not parse it.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, projectionFailed: 3 } as const;

export interface OpsRuntime {
  readonly eventStore: EventStore;
  readonly ownerPool: pg.Pool;
  readonly appPool: pg.Pool;
  readonly logger: Logger;
}

export interface OpsIo {
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  readonly json: boolean;
}

/** A refusal the CLI reports with its stable code and exit 1. */
export class OpsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function projectionsNamed(name: string, projections: readonly Projection[]): readonly Projection[] {
  if (name === 'all') return projections;
  const found = projections.find((p) => p.name === name);
  if (!found) {
    throw new OpsError(
      'PROJECTION.NOT_FOUND',
      `no projection named ${name}; one of: ${projections.map((p) => p.name).join(', ')}, or all`,
    );
  }
  return [found];
}

export async function projectionsStatus(
  runtime: OpsRuntime,
  io: OpsIo,
  projections: readonly Projection[] = PROJECTIONS,
): Promise<number> {
  const statuses = await readProjectionStatus(runtime.appPool, runtime.eventStore, projections);
  if (io.json) io.stdout.write(`${JSON.stringify({ projections: statuses })}\n`);
  else for (const status of statuses) io.stdout.write(`${describe(status)}\n`);
  // Live, catching up or stale still serve; a failed one has stopped at an event until someone acts.
  return statuses.some((status) => status.state === 'failed') ? EXIT.projectionFailed : EXIT.ok;
}

function describe(s: ProjectionStatus): string {
  const state = s.stale ? `${s.state}, stale` : s.state;
  const policy =
    s.currentPolicyVersion === null
      ? 'no policy data'
      : `policy v${s.policyVersion ?? '-'} (code v${s.currentPolicyVersion})`;
  const lines = [
    `${s.name}  v${s.installedVersion ?? '-'}${s.installedVersion === s.version ? '' : ` (code v${s.version})`}  ${policy}  ${state}${s.running ? '' : ', no runner'}`,
    `  position ${s.position}  head ${s.head}  lag ${s.lagEventsCapped ? '≥' : ''}${s.lagEvents} events, ${s.lagSeconds}s`,
  ];
  if (s.lastError)
    lines.push(`  last error: ${s.lastError}${s.failedPosition ? ` (at ${s.failedPosition})` : ''}`);
  for (const skip of s.skips) {
    lines.push(
      `  skipped ${skip.eventType} at ${skip.position} by ${skip.actor} on ${skip.skippedAt.toISOString()}: ${skip.reason}`,
    );
  }
  if (s.rebuild) {
    lines.push(
      `  rebuild ${s.rebuild.running ? 'running' : 'stopped (run rebuild again to resume)'}: v${s.rebuild.version}` +
        `${s.rebuild.orgId ? ` org ${s.rebuild.orgId}` : ''} at ${s.rebuild.position}, ${s.rebuild.eventsApplied}` +
        `${s.rebuild.eventsTotal === null ? '' : ` of ${s.rebuild.eventsTotal}`} events`,
    );
  }
  return lines.join('\n');
}

export interface RebuildCommandOptions {
  readonly org?: string;
  /** Events per transaction (tests make it small). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

export async function projectionsRebuild(
  runtime: OpsRuntime,
  name: string,
  options: RebuildCommandOptions,
  io: OpsIo,
  projections: readonly Projection[] = PROJECTIONS,
): Promise<number> {
  const chosen = projectionsNamed(name, projections);
  const orgId = options.org ? await resolveOrg(runtime.eventStore, options.org) : undefined;
  const rebuilt: RebuildResult[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  const started = process.hrtime.bigint();
  for (const projection of chosen) {
    const progress = progressReporter(io, projection.name);
    try {
      rebuilt.push(
        await rebuildProjection({
          projection,
          eventStore: runtime.eventStore,
          ownerPool: runtime.ownerPool,
          upcast: (event) => upcasters.upcast(event),
          logger: runtime.logger,
          ...(progress.update ? { onProgress: progress.update } : {}),
          ...(orgId ? { tenant: { orgId, streamPrefix: streams.tenantPrefix(orgId) } } : {}),
          ...(options.batchSize ? { batchSize: options.batchSize } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      );
    } catch (error) {
      if (
        error instanceof RebuildRefused &&
        error.code === 'PROJECTION.NOT_TENANT_SCOPED' &&
        name === 'all'
      ) {
        skipped.push({ name: projection.name, reason: error.message });
        continue;
      }
      if (error instanceof RebuildRefused) throw new OpsError(error.code, error.message);
      throw error;
    } finally {
      progress.stop();
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const events = rebuilt.reduce((sum, r) => sum + r.eventsThisRun, 0);
  const summary = {
    rebuilt,
    skipped,
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : 0,
  };
  if (io.json) {
    io.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    for (const r of rebuilt) {
      io.stdout.write(
        `${r.name}: rebuilt v${r.version}${r.orgId ? ` for org ${r.orgId}` : ''} at ${r.position}, ` +
          `${r.eventsThisRun} events in ${r.seconds.toFixed(1)}s${r.resumed ? ' (resumed)' : ''}\n`,
      );
    }
    for (const s of skipped) io.stdout.write(`${s.name}: skipped: ${s.reason}\n`);
  }
  return EXIT.ok;
}

/**
 * A progress bar with events/s and ETA on a terminal; otherwise a plain line
 * on stderr every 2 seconds and at each phase. Nothing with --json, whose
 * callers read the summary.
 */
function progressReporter(io: OpsIo, name: string) {
  // No callback at all with --json (the rebuild still records its total when the store counts cheaply).
  if (io.json) return { update: undefined, stop: () => undefined };
  if (io.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: io.stderr,
        format: `${name.padEnd(14)} [{bar}] {value}/{total} events | {speed} ev/s | ETA {eta_formatted} | {phase}`,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const t0 = Date.now();
    return {
      update(p: RebuildProgress) {
        const speed = Math.round(p.eventsThisRun / Math.max(0.001, (Date.now() - t0) / 1000));
        if (!started) {
          bar.start(Math.max(p.total, p.eventsApplied), p.eventsApplied, { speed, phase: p.phase });
          started = true;
        }
        bar.setTotal(Math.max(p.total, p.eventsApplied));
        bar.update(p.eventsApplied, { speed, phase: p.phase });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const t0 = Date.now();
  let lastLine = 0;
  return {
    update(p: RebuildProgress) {
      const now = Date.now();
      if (p.phase === 'building' && now - lastLine < 2000) return;
      lastLine = now;
      const seconds = Math.max(0.001, (now - t0) / 1000);
      const rate = p.eventsThisRun / seconds;
      const left = Math.max(0, p.total - p.eventsApplied);
      const eta = rate > 0 ? `${Math.ceil(left / rate)}s` : '?';
      io.stderr.write(
        `${name}: ${p.phase} ${p.eventsApplied}/${p.total} events, ${Math.round(rate)} events/s, ETA ${eta}\n`,
      );
    },
    stop() {},
  };
}

export async function projectionsRetry(runtime: OpsRuntime, name: string, io: OpsIo): Promise<number> {
  projectionsNamed(name, PROJECTIONS);
  try {
    const retried = await retryFailedProjection(
      runtime.ownerPool,
      { name, actor: operatorName() },
      runtime.logger,
    );
    if (io.json) io.stdout.write(`${JSON.stringify({ retried })}\n`);
    else io.stdout.write(`${name}: retrying the event at ${retried.failedPosition ?? '?'}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof SkipRefused) throw new OpsError(error.code, error.message);
    throw error;
  }
}

export async function projectionsSkip(
  runtime: OpsRuntime,
  name: string,
  options: { position: string; reason: string; actor?: string },
  io: OpsIo,
): Promise<number> {
  projectionsNamed(name, PROJECTIONS);
  try {
    const skipped = await skipFailedEvent(
      runtime.ownerPool,
      { name, position: options.position, reason: options.reason, actor: options.actor ?? operatorName() },
      runtime.logger,
    );
    if (io.json) io.stdout.write(`${JSON.stringify({ skipped })}\n`);
    else io.stdout.write(`${name}: skipped ${skipped.eventType} at ${skipped.position}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof SkipRefused) throw new OpsError(error.code, error.message);
    throw error;
  }
}

/** Who runs the command, as skips and retries record it. */
function operatorName(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()} (tenantry cli)`;
  } catch {
    return 'tenantry cli';
  }
}
