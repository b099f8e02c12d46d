import type pg from 'pg';
import { type NewEvent, type RecordedEvent } from '../event-envelope.js';
import {
  type AppendResult,
  type CountEventsOptions,
  type EventStore,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port.js';
import { WrongExpectedVersion } from '../errors.js';
import { decodePosition, encodePosition, START, type Position } from '../position.js';
import { LogPageCache } from './log-page-cache.js';
import { NotifySignal } from './notify-signal.js';
import { type LogPage, type PageReader, PostgresSubscription } from './postgres-subscription.js';
import { EVENT_STORE_NOTIFY_CHANNEL, WRONG_EXPECTED_VERSION_SQLSTATE } from './schema.js';

export interface PostgresEventStoreOptions {
  /** Events fetched per query by readers and subscriptions. */
  readonly batchSize?: number;
  /** Fallback poll interval for live subscriptions when no notification arrives. */
  readonly pollIntervalMs?: number;
}

interface EventRow {
  transaction_id: string;
  seq: string;
  stream_name: string;
  stream_revision: string;
  event_id: string;
  event_type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  recorded_at: Date;
}

const EVENT_COLUMNS =
  'transaction_id, seq, stream_name, stream_revision, event_id, event_type, data, metadata, recorded_at';

/**
 * Only rows written by transactions that have all finished are safe to hand
 * to a reader: see schema.ts for why sequence numbers alone would skip events.
 */
const SNAPSHOT_XMIN = 'pg_snapshot_xmin(pg_current_snapshot())';
const SAFE = `transaction_id < ${SNAPSHOT_XMIN}`;

/** The embedded default event store (DESIGN.md §3, §7). Schema: schema.ts. */
export class PostgresEventStore implements EventStore, PageReader {
  private readonly batchSize: number;
  private readonly signal: NotifySignal;
  /** Pages of the whole log, shared by this process's readers (log-page-cache.ts). */
  private readonly pages: LogPageCache;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresEventStoreOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    // The pool's own connection settings also serve the LISTEN connection.
    this.signal = new NotifySignal(pool.options, EVENT_STORE_NOTIFY_CHANNEL, options.pollIntervalMs ?? 1000);
    this.pages = new LogPageCache((after, limit) => this.readPageFromDatabase(after, limit));
  }

  /** Pages of the whole log answered, and the queries Postgres got for them (log-page-cache.ts). */
  pageCacheStats(): { readonly pages: number; readonly databaseReads: number } {
    return this.pages.stats();
  }

  async append(
    streamName: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new RangeError('append needs at least one event');
    const [kind, revision] = typeof expected === 'number' ? ['exact', expected] : [expected, null];
    const payload = JSON.stringify(
      events.map((e) => ({ eventId: e.metadata.eventId, type: e.type, data: e.data, metadata: e.metadata })),
    );
    try {
      const { rows } = await this.pool.query<{
        next_revision: string;
        transaction_id: string;
        last_seq: string;
      }>('SELECT next_revision, transaction_id, last_seq FROM eventstore.append($1, $2, $3, $4::jsonb)', [
        streamName,
        kind,
        revision,
        payload,
      ]);
      const row = rows[0]!;
      return {
        nextExpectedRevision: Number(row.next_revision),
        position: encodePosition(BigInt(row.transaction_id), BigInt(row.last_seq)),
      };
    } catch (error) {
      if (isPgError(error) && error.code === WRONG_EXPECTED_VERSION_SQLSTATE) {
        throw new WrongExpectedVersion(streamName, expected, Number(error.detail));
      }
      throw error;
    }
  }

  async *readStream(streamName: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    while (remaining > 0) {
      const limit = Math.min(this.batchSize, remaining);
      const { rows } = await this.pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM eventstore.events
          WHERE stream_name = $1 AND stream_revision ${backwards ? '<=' : '>='} $2
          ORDER BY stream_revision ${backwards ? 'DESC' : 'ASC'} LIMIT $3`,
        [streamName, from, limit],
      );
      for (const row of rows) yield toRecordedEvent(row);
      if (rows.length < limit) return;
      remaining -= rows.length;
      from = Number(rows.at(-1)!.stream_revision) + (backwards ? -1 : 1);
      if (from < 0) return;
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after = options.after ?? START;
    while (remaining > 0) {
      const limit = Math.min(this.batchSize, remaining);
      const { events } =
        options.excludeStreamSuffix === undefined
          ? await this.readPage(after, limit, options.streamPrefix)
          : await this.readPageFromDatabase(after, limit, options.streamPrefix, options.excludeStreamSuffix);
      for (const event of events) yield event;
      if (events.length < limit) return;
      remaining -= events.length;
      after = events.at(-1)!.position;
    }
  }

  /**
   * One page of the log after `after`, in log order, holding only events of
   * finished transactions. `blocked` tells the caller that committed events
   * wait behind an open transaction, so it should look again soon rather
   * than sleep until the next poll.
   */
  readPage(after: Position, limit: number, streamPrefix?: string): Promise<LogPage> {
    if (streamPrefix === undefined) return this.pages.readPage(after, limit);
    return this.readPageFromDatabase(after, limit, streamPrefix);
  }

  private async readPageFromDatabase(
    after: Position,
    limit: number,
    streamPrefix?: string,
    excludeStreamSuffix?: string,
  ): Promise<LogPage> {
    const { high, low } = decodePosition(after);
    const params: unknown[] = [high.toString(), low.toString(), limit];
    let streamFilter = '';
    if (streamPrefix !== undefined) {
      params.push(`${escapeLike(streamPrefix)}%`);
      streamFilter = `AND stream_name LIKE $${params.length}`;
    }
    if (excludeStreamSuffix !== undefined) {
      params.push(`%${escapeLike(excludeStreamSuffix)}`);
      streamFilter += ` AND stream_name NOT LIKE $${params.length}`;
    }
    // One statement, so the page and the blocked check share one snapshot.
    // Blocked: the newest finished event after `after` (a backwards index probe,
    // not a scan) is still unsafe, so an open transaction below it holds it back.
    const { rows } = await this.pool.query<EventRow & { blocked: boolean }>(
      `WITH page AS (
         SELECT ${EVENT_COLUMNS} FROM eventstore.events
          WHERE (transaction_id, seq) > ($1::xid8, $2::bigint) AND ${SAFE} ${streamFilter}
          ORDER BY transaction_id, seq LIMIT $3
       ), newest AS (
         SELECT transaction_id FROM eventstore.events
          WHERE (transaction_id, seq) > ($1::xid8, $2::bigint) ${streamFilter}
          ORDER BY transaction_id DESC, seq DESC LIMIT 1
       ), state AS (
         SELECT coalesce(bool_or(newest.transaction_id >= ${SNAPSHOT_XMIN}), false) AS blocked FROM newest
       )
       SELECT page.*, state.blocked FROM state LEFT JOIN page ON true
        ORDER BY page.transaction_id, page.seq`,
      params,
    );
    const blocked = rows[0]?.blocked ?? false;
    const events = rows.filter((row) => row.seq !== null).map(toRecordedEvent);
    return { events, blocked };
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    return new PostgresSubscription(this, this.signal, {
      after: options.after ?? START,
      streamPrefix: options.streamPrefix,
      batchSize: this.batchSize,
    });
  }

  async headPosition(): Promise<Position> {
    const { rows } = await this.pool.query<{ transaction_id: string; seq: string }>(
      `SELECT transaction_id, seq FROM eventstore.events WHERE ${SAFE}
        ORDER BY transaction_id DESC, seq DESC LIMIT 1`,
    );
    const row = rows[0];
    return row ? encodePosition(BigInt(row.transaction_id), BigInt(row.seq)) : START;
  }

  /** An index-only count of what readAll would hand out up to `upTo`: milliseconds for 20,000 events, not a read. */
  async countEvents(options: CountEventsOptions): Promise<number> {
    const { high, low } = decodePosition(options.upTo);
    const params: unknown[] = [high.toString(), low.toString()];
    let prefixFilter = '';
    if (options.streamPrefix !== undefined) {
      params.push(`${escapeLike(options.streamPrefix)}%`);
      prefixFilter = `AND stream_name LIKE $${params.length}`;
    }
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM eventstore.events
        WHERE (transaction_id, seq) <= ($1::xid8, $2::bigint) AND ${SAFE} ${prefixFilter}`,
      params,
    );
    return Number(rows[0]!.count);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1 FROM eventstore.streams LIMIT 1');
  }

  /** Stops live delivery. The pool belongs to the caller and stays open. */
  async close(): Promise<void> {
    await this.signal.close();
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamName: row.stream_name,
    revision: Number(row.stream_revision),
    position: encodePosition(BigInt(row.transaction_id), BigInt(row.seq)),
    recordedAt: row.recorded_at,
    type: row.event_type,
    data: row.data,
    metadata: row.metadata,
  };
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function isPgError(error: unknown): error is { code: string; detail?: string } {
  return typeof error === 'object' && error !== null && 'code' in error;
}
