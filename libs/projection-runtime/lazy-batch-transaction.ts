import type pg from 'pg';

/**
 * A batch's transaction, begun by the batch's first statement rather than
 * before it: most batches of a live projection write nothing (every
 * projection but one ignores a posted message; `users` ignores every org's
 * events), and such a batch needs no transaction at all, only its
 * checkpoint moved (projection-runner.ts). Before, each of them cost six
 * round trips and a commit per projection: in a trace of the B6 load at
 * 100 commands/s, the runners' transactions took 19 ms at the median,
 * nearly all of it for batches that changed nothing.
 *
 * When the projection issues its first statement, `BEGIN` and `open` (the
 * runner takes its switch lock and checks the generation there) are sent
 * ahead of it, none awaiting the others: on a pipelining session they leave
 * in one round trip. Should `open` fail (a rebuild switched the tables in
 * meanwhile), every statement of the batch fails with its error, not with
 * whatever the statements met in the switched tables, and the runner rolls
 * back.
 */
export class LazyBatchTransaction {
  readonly client: pg.ClientBase;
  private opening: Promise<void> | undefined;

  constructor(raw: pg.ClientBase, open: (client: pg.ClientBase) => Promise<void>) {
    const query = (...args: unknown[]): Promise<unknown> => {
      this.opening ??= this.begin(raw, open);
      const result = (raw.query as (...a: unknown[]) => Promise<unknown>)(...args);
      // Postgres answers in order: `opening` settles first, and its error wins.
      return Promise.all([this.opening, result]).then(([, value]) => value);
    };
    this.client = new Proxy(raw, {
      get(target, property, receiver) {
        if (property === 'query') return query;
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Whether a statement began the transaction: the caller must then commit or roll it back. */
  get begun(): boolean {
    return this.opening !== undefined;
  }

  /** Settles once the transaction is open (rejects as `open` did); resolves at once when not begun. */
  async opened(): Promise<void> {
    await this.opening;
  }

  private begin(raw: pg.ClientBase, open: (client: pg.ClientBase) => Promise<void>): Promise<void> {
    const begin = raw.query('BEGIN');
    const opened = open(raw);
    const both = Promise.all([begin, opened]).then(() => undefined);
    // Whoever awaits a statement learns of a failure; until then it is not "unhandled".
    both.catch(() => undefined);
    return both;
  }
}
