import { type HistoryManifest } from '../generate/history.js';
import { type BenchEnvironment } from '../support/environment.js';
import { cpuPerRequest, type CpuPerRequest, readCpuCounters } from '../support/cpu-accounting.js';
import { runLoadChild } from '../support/load-child.js';
import { withEventLoopDelay } from '../support/measure.js';
import { withProjectionLag } from '../support/projection-lag.js';
import { waitForProjections } from '../support/projections.js';
import { figure, type Figure } from './figure.js';

export interface HttpBench {
  readonly env: BenchEnvironment;
  readonly manifest: HistoryManifest;
  /** The service under test: this process, listening here. */
  readonly baseUrl: string;
  readonly seconds: number;
}

function runLoad<T>(env: BenchEnvironment, job: object): Promise<T> {
  return runLoadChild<T>(job, env.childEnv);
}

/**
 * Runs `load` and says what one request cost in CPU, and whom: the service
 * (this process, every thread), its Postgres, the load generator (the
 * child's own count) and the rest of the machine. On 2 shared cores,
 * throughput follows the sum, whatever the machine's other load.
 */
async function withCpu<T extends { requests: number; cpuMicros: number }>(
  env: BenchEnvironment,
  load: () => Promise<T>,
): Promise<[T, CpuPerRequest]> {
  const before = await readCpuCounters(env.server.pid);
  const result = await load();
  return [result, cpuPerRequest(before, await readCpuCounters(env.server.pid), result)];
}

interface AutocannonResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly errors: number;
  readonly p99Ms: number;
  readonly cpuMicros: number;
}

/** B8: GET of a chat under 64 connections, beside GET /health on the same server. */
export async function chatReadThroughput(bench: HttpBench): Promise<Figure> {
  const org = bench.manifest.largest;
  const token = bench.manifest.tokens.get(org.ownerId)!;
  const chatId = org.writableChatIds[0]!;
  const load = (url: string) =>
    runLoad<AutocannonResult>(bench.env, {
      kind: 'autocannon',
      url,
      headers: { authorization: `Bearer ${token}` },
      connections: 64,
      seconds: bench.seconds,
    });
  const [[chat, chatCpu], eventLoop] = await withEventLoopDelay(() =>
    withCpu(bench.env, () => load(`${bench.baseUrl}/v1/orgs/${org.orgId}/chats/${chatId}`)),
  );
  const [health, healthCpu] = await withCpu(bench.env, () => load(`${bench.baseUrl}/health`));
  return figure({
    id: 'B8',
    name: 'HTTP GET /v1/orgs/{org}/chats/{id}, 64 connections',
    value: chat.requestsPerSecond,
    unit: 'requests/s',
    baselineName: 'GET /health on the same server, 64 connections',
    baseline: health.requestsPerSecond,
    target: { kind: 'ratioAtLeast', ratio: 0.5 },
    alsoMet: chat.errors === 0,
    eventLoop,
    details: {
      errors: chat.errors,
      p99Ms: chat.p99Ms,
      healthErrors: health.errors,
      healthP99Ms: health.p99Ms,
      cpuMicrosPerRequest: { chat: chatCpu, health: healthCpu },
    },
  });
}

interface FreshnessResult {
  readonly sent: number;
  /** Commands acknowledged per second of the measured window. */
  readonly achievedRate: number;
  /** Commands acknowledged in or after the measured window and then read: what the percentiles are of. */
  readonly samples: number;
  readonly notYetAnswers: number;
  readonly errors: number;
  readonly errorSamples: string[];
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

/**
 * The rate of B6's second series: low enough for these 2-core machines to
 * sustain, so its freshness is the projector's and not a queue's.
 */
const SUSTAINED_RATE = 100;

/**
 * B6: acknowledgement → visible to queries, at a steady 1,000 commands/s
 * over HTTP. A second series at {@link SUSTAINED_RATE}/s goes in the
 * details: when the service cannot take 1,000 commands/s, the first series
 * measures the queue in front of it, and the second says how fresh the read
 * models are when there is none.
 */
export async function freshness(bench: HttpBench): Promise<Figure> {
  const org = bench.manifest.largest;
  const rate = 1_000;
  const run = (offered: number) =>
    runLoad<FreshnessResult>(bench.env, {
      kind: 'freshness',
      baseUrl: bench.baseUrl,
      org: org.orgId,
      chatIds: org.writableChatIds.slice(0, 200),
      token: bench.manifest.tokens.get(org.ownerId)!,
      rate: offered,
      seconds: bench.seconds,
    });
  const [result, eventLoop] = await withEventLoopDelay(() => run(rate));
  // The backlog the first series left must not count against the second.
  await waitForProjections(bench.env);
  const [[sustained, projectionLag], sustainedEventLoop] = await withEventLoopDelay(() =>
    withProjectionLag(bench.env, () => run(SUSTAINED_RATE)),
  );
  return figure({
    id: 'B6',
    name: `freshness: command acknowledged → visible to queries, at ${rate} commands/s offered (p99)`,
    value: result.p99Ms ?? Number.POSITIVE_INFINITY,
    unit: 'ms',
    baselineName: 'none (the goal is absolute)',
    baseline: null,
    target: { kind: 'valueAtMost', value: 100 },
    alsoMet: result.errors === 0 && result.achievedRate >= rate * 0.95,
    eventLoop,
    details: {
      ...result,
      sustained: {
        offeredRate: SUSTAINED_RATE,
        achievedRate: sustained.achievedRate,
        samples: sustained.samples,
        notYetAnswers: sustained.notYetAnswers,
        errors: sustained.errors,
        p50Ms: sustained.p50Ms,
        p99Ms: sustained.p99Ms,
        maxMs: sustained.maxMs,
        eventLoop: sustainedEventLoop,
        projectionLag,
      },
    },
  });
}
