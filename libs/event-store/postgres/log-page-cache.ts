import { type RecordedEvent } from '../event-envelope.js';
import { type Position } from '../position.js';
import { type LogPage } from './postgres-subscription.js';

/** Reads one page of the whole log from Postgres (PostgresEventStore.readPage without a prefix). */
export type LogPageSource = (after: Position, limit: number) => Promise<LogPage>;

/**
 * The newest stretch of the log this process has read, shared by every
 * reader of the whole log in it: the projection runners of a process follow
 * the same log, and without it each of them read every page again (eight
 * reads of each new event, live, after every append's notification).
 *
 * What makes sharing safe: a page holds only events of finished
 * transactions below every open one (PostgresEventStore `SAFE`), so once
 * read, no event can ever appear between two events of a page, nor between
 * `after` and its first event. The cache keeps one such gap-free run,
 * `(runAfter, last event]`; a read whose `after` falls inside it is served
 * from memory, and only the part beyond its end is read from Postgres, once
 * for all the readers that ask for it at the same moment, and appended.
 *
 * A reader behind the run reads from Postgres without touching it; a reader
 * ahead of it starts a new run where it reads. At most `maxEvents` events are
 * kept: the oldest go first, and a reader that falls that far behind reads
 * from Postgres, as it did before.
 */
export class LogPageCache {
  private run: RecordedEvent[] = [];
  /** The position right before the run's first event; null while there is no run. */
  private runAfter: Position | null = null;
  /** Reads of the part beyond the run's end, by `after` and limit: one query for readers asking together. */
  private readonly reading = new Map<string, Promise<LogPage>>();
  private pages = 0;
  private databaseReads = 0;

  constructor(
    private readonly source: LogPageSource,
    private readonly maxEvents = 10_000,
  ) {}

  /** Pages answered, and queries sent to Postgres for them: what the tests count. */
  stats(): { readonly pages: number; readonly databaseReads: number } {
    return { pages: this.pages, databaseReads: this.databaseReads };
  }

  async readPage(after: Position, limit: number): Promise<LogPage> {
    this.pages++;
    const start = this.indexAfter(after);
    if (start === undefined) {
      const page = await this.read(after, limit);
      // Ahead of the run (or none yet): the run starts over here. Behind it: left alone.
      if (this.runAfter === null || after > this.end()) this.startRun(after, page.events);
      return page;
    }
    const cached = this.run.slice(start, start + limit);
    if (cached.length === limit) return { events: cached, blocked: false };
    const end = this.end();
    const tail = await this.read(end, limit - cached.length);
    this.extend(end, tail.events);
    return { events: [...cached, ...tail.events], blocked: tail.blocked };
  }

  /** Where the events after `after` start in the run, or undefined when `after` is outside it. */
  private indexAfter(after: Position): number | undefined {
    if (this.runAfter === null) return undefined;
    if (after === this.runAfter) return 0;
    let low = 0;
    let high = this.run.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const position = this.run[middle]!.position;
      if (position === after) return middle + 1;
      if (position < after) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  private end(): Position {
    return this.run.at(-1)?.position ?? this.runAfter!;
  }

  private read(after: Position, limit: number): Promise<LogPage> {
    const key = `${after}/${limit}`;
    let page = this.reading.get(key);
    if (!page) {
      this.databaseReads++;
      page = this.source(after, limit).finally(() => this.reading.delete(key));
      this.reading.set(key, page);
    }
    return page;
  }

  private startRun(after: Position, events: readonly RecordedEvent[]): void {
    this.runAfter = after;
    this.run = [...events];
    this.trim();
  }

  /** Appends a page read after `after`, unless the run has moved on (another reader extended it). */
  private extend(after: Position, events: readonly RecordedEvent[]): void {
    if (this.runAfter === null || events.length === 0) return;
    const end = this.end();
    if (end === after) this.run.push(...events);
    else if (end > after) this.run.push(...events.filter((event) => event.position > end));
    this.trim();
  }

  private trim(): void {
    const excess = this.run.length - this.maxEvents;
    if (excess <= 0) return;
    this.runAfter = this.run[excess - 1]!.position;
    this.run = this.run.slice(excess);
  }
}
