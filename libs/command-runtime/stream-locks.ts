/**
 * One queue per stream name: work on a stream runs after the work queued on
 * it before, never beside it. Commands on one stream in one process then
 * never race each other for its expected revision (so never fail over it);
 * only another process can still append in between, which the command's
 * retries handle. Work on different streams runs in parallel.
 *
 * Work must not queue on the stream it already holds: it would wait for itself.
 */
export class StreamLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(streamName: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(streamName);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous ? previous.then(() => done) : done;
    this.tails.set(streamName, tail);
    try {
      await previous;
      return await work();
    } finally {
      release();
      // The last in the queue leaves no entry behind: the map holds only streams with work queued.
      if (this.tails.get(streamName) === tail) this.tails.delete(streamName);
    }
  }

  /** Streams with work running or queued (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
