import { getHeapStatistics } from 'node:v8';

/**
 * The V8 old-space limit Tenantry's processes run with, in MiB:
 * `npm start` passes `--max-old-space-size` with it (or with
 * `TENANTRY_MAX_OLD_SPACE_MB`), the Dockerfile sets it in `NODE_OPTIONS` for
 * every node process of the image (API, projector and CLI; override
 * `NODE_OPTIONS` there), and B3's rebuild child runs with it
 * (test/runtime/heap-limit.test.ts keeps them in step). Each service logs
 * the limit it got (`heapLimitMiB`) as it starts.
 *
 * Why a limit at all: V8 sizes the heap it lets grow before a full
 * collection from the limit, and under Node's default (a quarter of the
 * machine's memory, 4 GiB here) it let a full rebuild's heap reach four
 * times what was live: 440 MiB of heap, 518–560 MiB RSS, around 100–110 MiB
 * live after each full collection (`--trace-gc`, B3 at the benchmark's full
 * size). With 1 GiB the same rebuild peaked at 279 MiB RSS, heap at most
 * 180 MiB before a collection, in the same time (README "Memory").
 *
 * The price: a process whose live data outgrew it would crash out of
 * memory rather than grow. The largest live set measured is a tenth of it;
 * the projector resumes from its checkpoints after a crash, and an operator
 * with larger tenants raises it.
 */
export const DEFAULT_MAX_OLD_SPACE_MB = 1024;

/** The heap limit this process runs with, in MiB (old space and the rest V8 adds to it): logged at start. */
export function heapLimitMiB(): number {
  return Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024);
}
