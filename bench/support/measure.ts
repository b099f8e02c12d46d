import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** The p-th percentile (0–100) of some samples, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface EventLoopDelay {
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * The event-loop delay of this process while `work` runs
 * (perf_hooks.monitorEventLoopDelay, 10 ms resolution): BENCHMARKS.md asks
 * for it beside every load figure, since one slow request must not stall
 * every other.
 */
export async function withEventLoopDelay<T>(work: () => Promise<T>): Promise<[T, EventLoopDelay]> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    const result = await work();
    return [result, { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 }];
  } finally {
    histogram.disable();
  }
}

export interface LoadResult {
  readonly operations: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** The first few error messages, to tell what failed. */
  readonly errorSamples: string[];
}

/**
 * `workers` loops calling `operation` back to back for `seconds` (closed
 * loop): the throughput figures' harness.
 */
export async function runClosedLoop(
  workers: number,
  seconds: number,
  operation: (worker: number, i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const end = performance.now() + seconds * 1000;
  let operations = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        try {
          await operation(worker, i);
          operations++;
        } catch (error) {
          errors++;
          if (errorSamples.length < 3)
            errorSamples.push(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { operations, errors, seconds: elapsed, perSecond: operations / elapsed, errorSamples };
}

/** Latencies in ms of `count` sequential calls, after `warmup` unmeasured ones. */
export async function sequentialLatencies(
  count: number,
  operation: (i: number) => Promise<unknown>,
  warmup = Math.min(50, Math.ceil(count / 10)),
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await operation(i);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await operation(warmup + i);
    samples.push(performance.now() - start);
  }
  return samples;
}
