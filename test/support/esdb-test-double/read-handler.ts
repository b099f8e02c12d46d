import { once } from 'node:events';
import {
  type handleServerStreamingCall,
  type ServerErrorResponse,
  type ServerWritableStream,
  status,
} from '@grpc/grpc-js';
import { type InMemoryEventLog, type StoredEvent } from './in-memory-log.js';
import {
  type FilterOptions,
  READ_BACKWARDS,
  type ReadOptions,
  type ReadReq,
  type ReadResp,
  streamNameOf,
  type streamsPb,
} from './proto.js';
import { readResponses } from './read-responses.js';

/** The server's search window when the client asks for none: it checkpoints every multiplier × 32 events considered. */
const DEFAULT_SEARCH_WINDOW = 32;

type Call = ServerWritableStream<ReadReq, ReadResp>;

/**
 * `Streams.Read`: one stream forwards or backwards, `$all` forwards or
 * backwards (optionally filtered), or a catch-up subscription to `$all`.
 * Stream subscriptions are not implemented: the double answers
 * UNIMPLEMENTED rather than guessing. `resolve_links` and `control_option`
 * are ignored (the double holds no link events).
 */
export function readHandler(
  log: InMemoryEventLog,
  stopping: AbortSignal,
): handleServerStreamingCall<ReadReq, ReadResp> {
  return (call) => {
    const out = new ResponseWriter(call, stopping);
    serveRead(log, call.request.getOptions(), out).then(
      () => out.end(),
      (error: unknown) => out.fail(error),
    );
  };
}

async function serveRead(
  log: InMemoryEventLog,
  options: ReadOptions | undefined,
  out: ResponseWriter,
): Promise<void> {
  if (options === undefined) throw refusal(status.INVALID_ARGUMENT, 'a read needs options');
  const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
  const matches = eventFilterOf(options);
  const send = (event: StoredEvent) => out.write(readResponses.event(event, structuredIds));

  if (options.hasSubscription()) {
    if (!options.hasAll()) throw refusal(status.UNIMPLEMENTED, 'the test double subscribes to $all only');
    return subscribeToAll(log, options, matches, send, out);
  }
  const count = Number(options.getCount());
  const backwards = options.getReadDirection() === READ_BACKWARDS;
  if (options.hasStream()) {
    if (matches !== undefined) throw refusal(status.INVALID_ARGUMENT, 'stream reads take no filter');
    return readStream(log, options.getStream()!, backwards, count, send, out);
  }
  if (options.hasAll()) return readAll(log, options.getAll()!, backwards, count, matches, send, out);
  throw refusal(status.INVALID_ARGUMENT, 'a read names a stream or $all');
}

async function readStream(
  log: InMemoryEventLog,
  options: streamsPb.ReadReq.Options.StreamOptions,
  backwards: boolean,
  count: number,
  send: (event: StoredEvent) => Promise<void>,
  out: ResponseWriter,
): Promise<void> {
  const streamName = streamNameOf(options.getStreamIdentifier());
  if (streamName === undefined) {
    throw refusal(status.INVALID_ARGUMENT, 'a stream read needs a stream identifier');
  }
  const indexes = log.streamIndexes(streamName);
  // The server answers a missing stream with a message, not an error status; the client raises StreamNotFoundError.
  if (indexes === undefined) return out.write(readResponses.streamNotFound(streamName));

  const last = indexes.length - 1;
  let revision = options.hasRevision() ? Number(options.getRevision()) : options.hasEnd() ? last + 1 : 0;
  // Backwards from past the end (or from `end`) starts at the last event.
  if (backwards) revision = Math.min(revision, last);
  for (let sent = 0; sent < count && revision >= 0 && revision <= last && !out.done.aborted; sent++) {
    await send(log.at(indexes[revision]!));
    revision += backwards ? -1 : 1;
  }
}

async function readAll(
  log: InMemoryEventLog,
  options: streamsPb.ReadReq.Options.AllOptions,
  backwards: boolean,
  count: number,
  matches: EventFilter | undefined,
  send: (event: StoredEvent) => Promise<void>,
  out: ResponseWriter,
): Promise<void> {
  const step = backwards ? -1 : 1;
  let sent = 0;
  for (
    let index = startIndexOfAll(log, options, backwards);
    index >= 0 && index < log.length;
    index += step
  ) {
    if (sent === count || out.done.aborted) return;
    const event = log.at(index);
    if (matches && !matches(event)) continue;
    await send(event);
    sent++;
  }
}

/** Forwards from a position includes the event at it; backwards from a position starts before it. */
function startIndexOfAll(
  log: InMemoryEventLog,
  options: streamsPb.ReadReq.Options.AllOptions,
  backwards: boolean,
): number {
  if (options.hasPosition()) {
    const at = log.firstIndexAtOrAfter(BigInt(options.getPosition()!.getCommitPosition()));
    return backwards ? at - 1 : at;
  }
  if (options.hasEnd()) return backwards ? log.length - 1 : log.length;
  return backwards ? -1 : 0;
}

/**
 * Confirmation, then every stored event after the start position, then
 * `caught_up`, then live events until the client cancels. The cursor walks
 * the log itself, so a slow client holds the cursor back instead of making
 * the double buffer (the real server drops such a client instead).
 */
async function subscribeToAll(
  log: InMemoryEventLog,
  options: ReadOptions,
  matches: EventFilter | undefined,
  send: (event: StoredEvent) => Promise<void>,
  out: ResponseWriter,
): Promise<void> {
  const all = options.getAll()!;
  await out.write(readResponses.confirmation());

  // Subscriptions start strictly after the position they are given: it is the last one the client processed.
  let index = all.hasPosition()
    ? log.firstIndexAtOrAfter(BigInt(all.getPosition()!.getCommitPosition()) + 1n)
    : all.hasEnd()
      ? log.length
      : 0;
  const checkpointInterval = checkpointIntervalOf(options.getFilter());
  let considered = 0;
  let caughtUp = false;
  while (!out.done.aborted) {
    if (index < log.length) {
      const event = log.at(index++);
      if (!matches || matches(event)) await send(event);
      if (checkpointInterval !== undefined && ++considered >= checkpointInterval) {
        considered = 0;
        await out.write(readResponses.checkpoint(event.position));
      }
    } else if (!caughtUp) {
      caughtUp = true;
      await out.write(readResponses.caughtUp());
    } else {
      await log.nextAppend(out.done);
    }
  }
}

type EventFilter = (event: StoredEvent) => boolean;

/** The server-side filter: on stream name or event type, by prefixes (plain `startsWith`) or a regex. */
function eventFilterOf(options: ReadOptions): EventFilter | undefined {
  const filter = options.getFilter();
  if (filter === undefined) return undefined;
  const onStream = filter.hasStreamIdentifier();
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (expression === undefined) {
    throw refusal(status.INVALID_ARGUMENT, 'a filter needs a stream or event type expression');
  }
  const subject = (event: StoredEvent) => (onStream ? event.streamName : event.type);
  const regex = expression.getRegex();
  if (regex !== '') {
    const pattern = new RegExp(regex);
    return (event) => pattern.test(subject(event));
  }
  const prefixes = expression.getPrefixList();
  return (event) => prefixes.some((prefix) => subject(event).startsWith(prefix));
}

function checkpointIntervalOf(filter: FilterOptions | undefined): number | undefined {
  if (filter === undefined) return undefined;
  const window = filter.hasMax() ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
  return Math.max(1, filter.getCheckpointintervalmultiplier()) * window;
}

/** Writes with the call's flow control, and knows when the call is over (client cancelled or double stopping). */
class ResponseWriter {
  readonly done: AbortSignal;

  constructor(
    private readonly call: Call,
    stopping: AbortSignal,
  ) {
    const cancelled = new AbortController();
    call.on('cancelled', () => cancelled.abort());
    this.done = AbortSignal.any([cancelled.signal, stopping]);
  }

  async write(response: ReadResp): Promise<void> {
    if (this.done.aborted || this.call.write(response)) return;
    await once(this.call, 'drain', { signal: this.done }).catch(() => undefined);
  }

  end(): void {
    if (!this.call.cancelled) this.call.end();
  }

  fail(error: unknown): void {
    if (this.call.cancelled) return;
    const refused = isRefusal(error) ? error : refusal(status.INTERNAL, String(error));
    this.call.emit('error', refused);
  }
}

function refusal(code: status, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

function isRefusal(error: unknown): error is ServerErrorResponse {
  return error instanceof Error && 'code' in error && typeof error.code === 'number';
}
