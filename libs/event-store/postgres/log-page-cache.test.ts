import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type RecordedEvent } from '../event-envelope.js';
import { encodePosition, type Position, START } from '../position.js';
import { LogPageCache } from './log-page-cache.js';
import { type LogPage } from './postgres-subscription.js';

/**
 * The cache against the log it stands in front of: a log whose safe head
 * moves on while readers at random places read pages; every page the cache
 * answers must be exactly the page the log answers at that moment (the
 * contract and subscription suites run it against Postgres as well).
 */
const LOG_LENGTH = 200;
const log: RecordedEvent[] = Array.from({ length: LOG_LENGTH }, (_, i) => ({
  streamName: `s-${i % 7}`,
  revision: Math.floor(i / 7),
  position: encodePosition(BigInt(i + 1), 0n),
  recordedAt: new Date(0),
  type: 'Happened',
  data: { i },
  metadata: {
    eventId: `e-${i}`,
    actorId: null,
    correlationId: 'c',
    causationId: 'c',
    occurredAt: '1970-01-01T00:00:00.000Z',
    schemaVersion: 1,
  },
}));
const positionAt = (index: number): Position => (index === 0 ? START : log[index - 1]!.position);

/** The log with `head` events safe: what Postgres would answer. */
function database() {
  const state = { head: 0, reads: 0 };
  const read = (after: Position, limit: number): LogPage => {
    const from = after === START ? 0 : log.findIndex((event) => event.position === after) + 1;
    return { events: log.slice(from, Math.min(from + limit, state.head)), blocked: false };
  };
  const source = async (after: Position, limit: number) => {
    state.reads++;
    await Promise.resolve();
    return read(after, limit);
  };
  return { state, read, source };
}

describe('LogPageCache', () => {
  it('answers every read as the log does, wherever its readers are and however far the head moved', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('grow' as const), by: fc.integer({ min: 1, max: 40 }) }),
      fc.record({
        kind: fc.constant('read' as const),
        /** Where the reader is, in percent of the safe head: behind, inside the run, at its end. */
        at: fc.integer({ min: 0, max: 100 }),
        limit: fc.integer({ min: 1, max: 30 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 5, max: 80 }),
        async (steps, max) => {
          const { state, read, source } = database();
          const cache = new LogPageCache(source, max);
          for (const s of steps) {
            if (s.kind === 'grow') state.head = Math.min(LOG_LENGTH, state.head + s.by);
            else {
              const at = Math.round((state.head * s.at) / 100);
              const page = await cache.readPage(positionAt(at), s.limit);
              expect(page.events.map((e) => e.position)).toEqual(
                read(positionAt(at), s.limit).events.map((e) => e.position),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the log once for readers that follow it together', async () => {
    const { state, source } = database();
    state.head = LOG_LENGTH;
    const cache = new LogPageCache(source);
    const readers = Array.from({ length: 8 }, () => ({ after: START }));
    for (let round = 0; round < LOG_LENGTH / 20; round++) {
      const pages = await Promise.all(readers.map((reader) => cache.readPage(reader.after, 20)));
      pages.forEach((page, i) => (readers[i]!.after = page.events.at(-1)!.position));
    }
    expect(readers.every((reader) => reader.after === log.at(-1)!.position)).toBe(true);
    // Ten pages for eight readers: each page read once.
    expect(state.reads).toBe(LOG_LENGTH / 20);
  });

  it('keeps at most its bound, and a reader left behind reads from the log', async () => {
    const { state, source } = database();
    state.head = LOG_LENGTH;
    const cache = new LogPageCache(source, 50);
    let after = START;
    for (let i = 0; i < 5; i++) after = (await cache.readPage(after, 20)).events.at(-1)!.position;
    const reads = state.reads;
    // 100 events read; the first 50 are gone from memory.
    expect((await cache.readPage(positionAt(10), 5)).events[0]!.position).toBe(log[10]!.position);
    expect(state.reads).toBe(reads + 1);
    expect((await cache.readPage(positionAt(60), 5)).events[0]!.position).toBe(log[60]!.position);
    expect(state.reads).toBe(reads + 1);
  });
});
