import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Position } from '../../libs/event-store/index.js';
import { readCheckpoints } from '../../libs/projection-runtime/checkpoint.js';
import { PROJECTIONS } from '../../projections/index.js';
import { type BenchEnvironment } from './environment.js';
import { percentile } from './measure.js';

/** How often the log's head and the checkpoints are read while a load runs. */
const SAMPLE_EVERY_MS = 10;

/** How long each projection took to reach a head position once it was seen, ms. */
export interface ProjectionLag {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
}

/**
 * Runs `work` while reading the log's head and every projection's
 * checkpoint every {@link SAMPLE_EVERY_MS} ms, and says, per projection,
 * how long it took to reach each head position after it was first seen:
 * which projection a freshness tail (B6) waits for. The resolution is the
 * sampling interval; the reads are two small statements on one connection.
 */
export async function withProjectionLag<T>(
  env: BenchEnvironment,
  work: () => Promise<T>,
): Promise<[T, Record<string, ProjectionLag>]> {
  const names = PROJECTIONS.map((p) => p.name);
  const pending: Array<{ head: Position; seenAt: number; waitingFor: Set<string> }> = [];
  const lags = new Map<string, number[]>(names.map((name) => [name, []]));
  const client = await env.runtime.database.ownerPool.connect();
  let done = false;
  const sampling = (async () => {
    let lastHead: Position | null = null;
    while (!done) {
      const [head, checkpoints] = await Promise.all([
        env.runtime.eventStore.headPosition(),
        readCheckpoints(client, names),
      ]);
      const now = performance.now();
      if (head !== null && head !== lastHead) {
        pending.push({ head, seenAt: now, waitingFor: new Set(names) });
        lastHead = head;
      }
      for (const entry of pending) {
        for (const name of entry.waitingFor) {
          const position = checkpoints.get(name)?.position ?? null;
          if (position !== null && position >= entry.head) {
            lags.get(name)!.push(now - entry.seenAt);
            entry.waitingFor.delete(name);
          }
        }
      }
      while (pending.length > 0 && pending[0]!.waitingFor.size === 0) pending.shift();
      await sleep(SAMPLE_EVERY_MS);
    }
  })();
  try {
    const result = await work();
    return [result, summarize(lags)];
  } finally {
    done = true;
    await sampling.catch(() => undefined);
    client.release();
  }
}

function summarize(lags: ReadonlyMap<string, number[]>): Record<string, ProjectionLag> {
  const round = (ms: number) => Math.round(ms);
  return Object.fromEntries(
    [...lags].map(([name, samples]) => [
      name,
      {
        p50Ms: round(percentile(samples, 50)),
        p99Ms: round(percentile(samples, 99)),
        maxMs: round(samples.length === 0 ? Number.NaN : Math.max(...samples)),
        samples: samples.length,
      },
    ]),
  );
}
