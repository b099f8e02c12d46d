import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

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
  /** How late the loop ran a timer, beyond the timer's own interval: what a request waited behind other work. */
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The longest garbage-collection pause meanwhile, and their sum: the share of the delay that was the collector's. */
  readonly gcMaxMs: number;
  readonly gcTotalMs: number;
}

/** The delay histogram's timer interval. */
const EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * The event-loop delay of this process while `work` runs
 * (perf_hooks.monitorEventLoopDelay): BENCHMARKS.md asks for it beside
 * every load figure, since one slow request must not stall every other.
 * The histogram records the whole time between two ticks of a 10 ms timer,
 * so an idle loop reads 10 ms: the resolution is taken off, and what is
 * reported is how long the loop was blocked. Garbage-collection pauses are
 * observed beside it, to tell the collector's stalls from ours.
 */
export async function withEventLoopDelay<T>(work: () => Promise<T>): Promise<[T, EventLoopDelay]> {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  let gcMaxMs = 0;
  let gcTotalMs = 0;
  const gc = new PerformanceObserver((entries) => {
    for (const entry of entries.getEntries()) {
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
      gcTotalMs += entry.duration;
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  histogram.enable();
  try {
    const result = await work();
    const blocked = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - EVENT_LOOP_RESOLUTION_MS);
    return [
      result,
      { p99Ms: blocked(histogram.percentile(99)), maxMs: blocked(histogram.max), gcMaxMs, gcTotalMs },
    ];
  } finally {
    histogram.disable();
    gc.disconnect();
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

/**
 * Latencies in ms of a subject and its baseline, sampled in turns: each
 * round times one call of each, and which goes first alternates. On a
 * shared machine a burst of other work then lands on both series alike,
 * where two series measured one after the other would each see a different
 * stretch of noise, and their tails could not be compared.
 */
export async function interleavedLatencies(
  count: number,
  subject: (i: number) => Promise<unknown>,
  baseline: (i: number) => Promise<unknown>,
  warmup = Math.min(50, Math.ceil(count / 10)),
): Promise<{ subject: number[]; baseline: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await subject(i);
    await baseline(i);
  }
  const timed = { subject: [] as number[], baseline: [] as number[] };
  const time = async (series: number[], operation: () => Promise<unknown>) => {
    const start = performance.now();
    await operation();
    series.push(performance.now() - start);
  };
  for (let i = 0; i < count; i++) {
    const round = warmup + i;
    const one = () => time(timed.subject, () => subject(round));
    const other = () => time(timed.baseline, () => baseline(round));
    if (i % 2 === 0) {
      await one();
      await other();
    } else {
      await other();
      await one();
    }
  }
  return timed;
}
