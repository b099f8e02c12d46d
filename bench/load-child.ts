/**
 * The HTTP load of B6 and B8, in a process of its own so that the load
 * generator's work never shows up in the service's event loop or CPU. Takes
 * one JSON job as its argument and prints one JSON result line.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

interface AutocannonJob {
  readonly kind: 'autocannon';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
  /** GET unless told otherwise; the same body on every request. */
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
}

interface FreshnessJob {
  readonly kind: 'freshness';
  readonly baseUrl: string;
  readonly org: string;
  readonly chatIds: readonly string[];
  readonly token: string;
  readonly rate: number;
  readonly seconds: number;
}

/**
 * The first second of a freshness series is load like the rest and not
 * measured: this process has just started (cold JIT, no connections open
 * yet), and in quick runs every sample over 100 ms at 100 commands/s came
 * from its first 400 ms, the acknowledgements too.
 *
 * A command counts by when it was acknowledged, not when it was sent: past
 * the service's capacity, {@link MAX_IN_FLIGHT} commands sent during the
 * warm-up can hold every slot until the measured window has ended, and
 * counting by send time then measured nothing at all (a smoke run in CI).
 * Freshness starts at the acknowledgement, so when the command was sent does
 * not change what it measures.
 */
const WARM_UP_SECONDS = 1;

/**
 * Past this many unanswered commands the offered rate is not reached and the
 * run says so (achievedRate), rather than queueing thousands of requests
 * that only measure the queue.
 */
const MAX_IN_FLIGHT = 256;

/** A read that still answers CONSISTENCY.NOT_YET after this many tries is an error. */
const MAX_READ_ATTEMPTS = 6;

const job = JSON.parse(process.argv[2]!) as AutocannonJob | FreshnessJob;
const result = job.kind === 'autocannon' ? await runAutocannon(job) : await runFreshness(job);
process.stdout.write(`${JSON.stringify(result)}\n`);

async function runAutocannon(job: AutocannonJob) {
  const cpuBefore = process.cpuUsage();
  const out = await autocannon({
    url: job.url,
    headers: job.headers,
    connections: job.connections,
    duration: job.seconds,
    ...(job.method ? { method: job.method } : {}),
    ...(job.body === undefined ? {} : { body: job.body }),
  });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    requestsPerSecond: out.requests.average,
    requests: out.requests.total,
    errors: out.errors + out.timeouts + out.non2xx,
    p50Ms: out.latency.p50,
    p99Ms: out.latency.p99,
    /** What generating the load cost this process, µs: the load generator's share of the machine. */
    cpuMicros: cpu.user + cpu.system,
  };
}

/**
 * Open loop at `rate` commands/s: each posts a message, and as soon as it is
 * acknowledged a read of the chat's messages is sent with the command's
 * consistency token. The read answers once the projections have the
 * message, so ack → answer is the time the change took to become visible.
 */
async function runFreshness(job: FreshnessJob) {
  const auth = { authorization: `Bearer ${job.token}` };
  const freshness: number[] = [];
  let errors = 0;
  let sent = 0;
  const errorSamples: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const measuredFrom = started + WARM_UP_SECONDS * 1000;
  const end = measuredFrom + job.seconds * 1000;
  let acknowledgedInWindow = 0;
  let notYetAnswers = 0;
  const one = async (i: number) => {
    const chatId = job.chatIds[i % job.chatIds.length]!;
    try {
      const post = await fetch(`${job.baseUrl}/v1/orgs/${job.org}/chats/${chatId}/messages`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ body: `b6 ${i}` }),
      });
      await post.arrayBuffer();
      const token = post.headers.get('x-consistency-token');
      if (post.status !== 201 || !token) throw new Error(`post answered ${post.status}`);
      const acknowledged = performance.now();
      const measured = acknowledged >= measuredFrom;
      if (measured && acknowledged < end) acknowledgedInWindow++;
      // A read that waited its whole bound (503 CONSISTENCY.NOT_YET) is asked
      // again at once, as a client would: the change is not visible yet, and
      // freshness is the time until it is, however long the backlog.
      let read: Response;
      for (let attempt = 0; ; attempt++) {
        read = await fetch(`${job.baseUrl}/v1/orgs/${job.org}/chats/${chatId}/messages?limit=1`, {
          headers: { ...auth, 'x-consistency-token': token },
        });
        const body = await read.text();
        if (read.status !== 503 || !body.includes('CONSISTENCY.NOT_YET') || attempt === MAX_READ_ATTEMPTS - 1)
          break;
        notYetAnswers++;
      }
      if (read.status !== 200) throw new Error(`read answered ${read.status}`);
      if (measured) freshness.push(performance.now() - acknowledged);
    } catch (error) {
      errors++;
      if (errorSamples.length < 3) errorSamples.push(error instanceof Error ? error.message : String(error));
    }
  };
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - started) / 1000) * job.rate);
    while (sent < due && inFlight.size < MAX_IN_FLIGHT) {
      const p = one(sent++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  freshness.sort((a, b) => a - b);
  const at = (p: number) =>
    freshness[Math.min(freshness.length - 1, Math.ceil(p * freshness.length) - 1)] ?? null;
  return {
    sent,
    /** Commands acknowledged per second of the measured window. */
    achievedRate: acknowledgedInWindow / job.seconds,
    samples: freshness.length,
    /** Reads that answered 503 CONSISTENCY.NOT_YET (waited the service's whole bound) and were asked again. */
    notYetAnswers,
    errors,
    errorSamples,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: at(1),
  };
}
