import { type EventStore, type ExpectedRevision, type NewEvent } from '../../libs/event-store/index.js';

/** One append the generator decided: a stream's next events, and the streams its decision read. */
export interface PlannedAppend {
  readonly streamName: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  /** Streams whose state the decision used: their earlier appends must be in the log first. */
  readonly reads: readonly string[];
}

/**
 * Writes the generated history through the EventStore port, many appends at
 * once, without ever putting an event in the log before one its decision
 * depended on: an append waits for the latest append of every stream it
 * read (and of its own stream). So the log is one the product could have
 * written with concurrent clients: a decision made on state S appears after S.
 *
 * Memory stays bounded: `submit` waits while too many appends are pending,
 * so the generator never holds more than a window of the history.
 */
export class LogWriter {
  private readonly lastAppend = new Map<string, Promise<void>>();
  private pending = 0;
  private running = 0;
  private readonly waitingToRun: (() => void)[] = [];
  private readonly waitingForRoom: (() => void)[] = [];
  private failure: unknown;
  eventsWritten = 0;
  appendsWritten = 0;

  constructor(
    private readonly eventStore: EventStore,
    private readonly concurrency = 16,
    private readonly maxPending = 4_000,
  ) {}

  async submit(append: PlannedAppend): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.pending >= this.maxPending)
      await new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    const before = [append.streamName, ...append.reads].flatMap((name) => {
      const last = this.lastAppend.get(name);
      return last ? [last] : [];
    });
    this.pending++;
    const done = Promise.all(before)
      .then(() => this.run(append))
      .catch((error: unknown) => {
        this.failure ??= error;
        throw error;
      })
      .finally(() => {
        this.pending--;
        this.waitingForRoom.shift()?.();
      });
    done.catch(() => undefined); // reported through `failure`, from submit or flush
    this.lastAppend.set(append.streamName, done);
  }

  /** Waits for every submitted append; throws the first failure. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.lastAppend.values()]);
    this.lastAppend.clear();
    if (this.failure) throw this.failure;
  }

  private async run(append: PlannedAppend): Promise<void> {
    // A finishing append hands its slot straight to the next one waiting.
    if (this.running >= this.concurrency)
      await new Promise<void>((resolve) => this.waitingToRun.push(resolve));
    else this.running++;
    try {
      await this.eventStore.append(append.streamName, append.events, append.expected);
      this.eventsWritten += append.events.length;
      this.appendsWritten++;
    } finally {
      const next = this.waitingToRun.shift();
      if (next) next();
      else this.running--;
    }
  }
}
