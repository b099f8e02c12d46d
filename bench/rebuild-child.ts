/**
 * B3's subject, in a process of its own so that its peak RSS is the
 * rebuild's alone: the production projector (apps/projector) builds every
 * projection from position 0 over the log that DATABASE_URL's event store
 * holds, and this prints one JSON line when all of them are live at the
 * head the log had when it started, with when each one got there (what
 * bounds B3).
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { installProjections, startProjector, startRuntime } from '../libs/runtime/index.js';
import { loadConfig } from '../libs/config/index.js';
import { readCheckpoints } from '../libs/projection-runtime/checkpoint.js';
import { PROJECTIONS } from '../projections/index.js';

const MIB = 1024 * 1024;
const logger = pino({ level: 'warn' });
const runtime = await startRuntime(loadConfig(), logger);
const head = await runtime.eventStore.headPosition();
const names = PROJECTIONS.map((projection) => projection.name);
const started = performance.now();
/** When each projection reached the head, in seconds from the start (polled every 250 ms). */
const secondsToHead: Record<string, number> = {};
/**
 * The memory at the highest RSS seen in the polls, and which projections had
 * not reached the head then: what the peak is made of, and whose it is.
 */
let atPeak = { rssMiB: 0, heapUsedMiB: 0, externalMiB: 0, arrayBuffersMiB: 0, second: 0, building: [''] };
await installProjections(runtime.database.ownerPool);
const projector = startProjector(runtime, logger);
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  const checkpoints = await readCheckpoints(runtime.database.ownerPool, names);
  const failed = [...checkpoints.values()].find((c) => c.state === 'failed');
  if (failed) throw new Error(`projection ${failed.name} failed: ${failed.lastError}`);
  for (const name of names) {
    const checkpoint = checkpoints.get(name);
    if (checkpoint && checkpoint.position >= head && secondsToHead[name] === undefined) {
      secondsToHead[name] = Math.round((performance.now() - started) / 100) / 10;
    }
  }
  const memory = process.memoryUsage();
  if (memory.rss / MIB > atPeak.rssMiB) {
    atPeak = {
      rssMiB: Math.round(memory.rss / MIB),
      heapUsedMiB: Math.round(memory.heapUsed / MIB),
      externalMiB: Math.round(memory.external / MIB),
      arrayBuffersMiB: Math.round(memory.arrayBuffers / MIB),
      second: Math.round((performance.now() - started) / 1000),
      building: names.filter((name) => secondsToHead[name] === undefined),
    };
  }
  const done = names.every((name) => secondsToHead[name] !== undefined);
  // The mean over the projections: the slowest one's count alone stayed at 0 for most of a
  // full run, which made the progress line say nothing.
  const applied = names.map((name) => Number(checkpoints.get(name)?.eventsApplied ?? 0));
  const progress = Math.round(applied.reduce((sum, n) => sum + n, 0) / applied.length);
  process.stderr.write(`progress ${progress}\n`);
  if (done) break;
}
const seconds = (performance.now() - started) / 1000;
await projector.stop();
await runtime.close();
process.stdout.write(
  `${JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, head, secondsToHead, atPeak })}\n`,
);
