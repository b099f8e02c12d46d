import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { READ_MODEL_SCHEMA } from '../../libs/persistence/tenancy.js';
import { DEFAULT_MAX_OLD_SPACE_MB } from '../../libs/runtime/heap.js';
import { type BenchEnvironment } from '../support/environment.js';
import { startProgress } from '../support/progress.js';
import { figure, type Figure } from './figure.js';

const REBUILD_CHILD = fileURLToPath(new URL('../rebuild-child.js', import.meta.url));

interface RebuildResult {
  readonly seconds: number;
  readonly maxRssMiB: number;
  readonly secondsToHead: Readonly<Record<string, number>>;
  /** The child's memory at the highest RSS its polls saw (every 250 ms), and who was still building. */
  readonly atPeak: Readonly<Record<string, unknown>>;
}

/**
 * B3: every projection built from position 0 by the production projector,
 * in a child process (its peak RSS is the rebuild's alone), beside COPY of
 * the rows it produced into empty tables of the same shape.
 */
export async function fullRebuild(env: BenchEnvironment, events: number): Promise<Figure> {
  const rebuild = await runRebuildChild(env, events);
  const eventsPerSecond = events / rebuild.seconds;
  const copy = await copyReadModels(env);
  const timeRatio = rebuild.seconds / copy.seconds;
  return figure({
    id: 'B3',
    name: `full rebuild of every projection from position 0 (${events} events)`,
    value: eventsPerSecond,
    unit: 'events/s',
    baselineName: `COPY of the ${copy.rows} resulting read-model rows into empty tables (as events/s)`,
    baseline: events / copy.seconds,
    target: { kind: 'ratioAtLeast', ratio: 1 / 3 },
    goalText: '≥ 10,000 events/s, time ≤ 3 × baseline, RSS ≤ 512 MiB',
    alsoMet: eventsPerSecond >= 10_000 && rebuild.maxRssMiB <= 512,
    details: {
      rebuildSeconds: rebuild.seconds,
      copySeconds: copy.seconds,
      timeRatio,
      peakRssMiB: rebuild.maxRssMiB,
      secondsToHeadByProjection: rebuild.secondsToHead,
      memoryAtPeak: rebuild.atPeak,
      rows: copy.rows,
      tables: copy.tables,
    },
  });
}

/**
 * The rebuild child runs as the projector runs in production: with the heap
 * limit `npm start` and the Dockerfile give it (libs/runtime/heap.ts). Then
 * BENCH_REBUILD_NODE_ARGS, node flags for the experiment at hand (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`, or another `--max-old-space-size`,
 * which wins, coming last).
 */
export function rebuildChildNodeArgs(env: NodeJS.ProcessEnv): string[] {
  const heapMb = env.TENANTRY_MAX_OLD_SPACE_MB ?? String(DEFAULT_MAX_OLD_SPACE_MB);
  return [
    `--max-old-space-size=${heapMb}`,
    ...(env.BENCH_REBUILD_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
}

async function runRebuildChild(env: BenchEnvironment, events: number): Promise<RebuildResult> {
  const progress = startProgress('rebuild', events, 'events');
  const nodeArgs = rebuildChildNodeArgs(process.env);
  // BENCH_REBUILD_LOG: a file that gets a copy of the child's output (with `--trace-gc`, its GC trace).
  const log = process.env.BENCH_REBUILD_LOG ? createWriteStream(process.env.BENCH_REBUILD_LOG) : null;
  const child = spawn(process.execPath, [...nodeArgs, REBUILD_CHILD], {
    env: env.childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    log?.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    log?.write(chunk);
    const match = /progress (\d+)\n(?![\s\S]*progress)/.exec(text);
    if (match) progress.update(Number(match[1]));
    else stderr += text;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  progress.stop();
  log?.end();
  if (code !== 0) throw new Error(`the rebuild child exited with ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as RebuildResult;
}

/** Streams every read-model table with COPY into an empty copy of it (indexes included) in another schema. */
async function copyReadModels(
  env: BenchEnvironment,
): Promise<{ seconds: number; rows: number; tables: number }> {
  const source = new pg.Client({ connectionString: env.urlOf('tenantry') });
  const target = new pg.Client({ connectionString: env.urlOf('tenantry') });
  await source.connect();
  await target.connect();
  try {
    const { rows: tables } = await source.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
      [READ_MODEL_SCHEMA],
    );
    await target.query('DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy');
    let rows = 0;
    for (const { table_name: table } of tables) {
      await target.query(
        `CREATE TABLE bench_copy."${table}" (LIKE ${READ_MODEL_SCHEMA}."${table}" INCLUDING DEFAULTS INCLUDING INDEXES)`,
      );
      const { rows: count } = await source.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${READ_MODEL_SCHEMA}."${table}"`,
      );
      rows += Number(count[0]!.n);
    }
    const started = performance.now();
    for (const { table_name: table } of tables) {
      await pipeline(
        source.query(copyTo(`COPY ${READ_MODEL_SCHEMA}."${table}" TO STDOUT`)),
        target.query(copyFrom(`COPY bench_copy."${table}" FROM STDIN`)),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    await target.query('DROP SCHEMA bench_copy CASCADE');
    return { seconds, rows, tables: tables.length };
  } finally {
    await source.end();
    await target.end();
  }
}
