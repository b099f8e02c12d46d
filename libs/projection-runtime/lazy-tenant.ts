import type pg from 'pg';
import { setTenant } from '../persistence/index.js';

/**
 * The tenant a batch's statements run under (libs/persistence `setTenant`),
 * set when a statement is about to run rather than before every event: most
 * projections ignore most events (every projection but one ignores a
 * message; `users` ignores every org's events), and setting the tenant for an
 * event that writes nothing cost a round trip per event and projection.
 *
 * `client` is the client to apply with; {@link bind} names the tenant of the
 * event about to be applied. One per batch: a projection's `finish` sets its
 * own tenants (projection.ts `ProjectionBatch`), after which this one no
 * longer knows which tenant is set.
 */
export class LazyTenant {
  readonly client: pg.ClientBase;
  private wanted: string | null = null;
  /** What the session has; undefined until this binding first sets it. */
  private current: string | null | undefined;

  constructor(raw: pg.ClientBase) {
    const query = (...args: unknown[]): Promise<unknown> => {
      const run = () => (raw.query as (...a: unknown[]) => Promise<unknown>)(...args);
      if (this.current === this.wanted) return run();
      this.current = this.wanted;
      // Sent back to back, never awaited in between: statements the projection issues without
      // awaiting each other reach Postgres in the order it issued them (and on a pipelining
      // connection, with the tenant, in one round trip).
      const set = setTenant(raw, this.wanted);
      const result = run();
      return Promise.all([set, result]).then(([, value]) => value);
    };
    this.client = new Proxy(raw, {
      get(target, property, receiver) {
        if (property === 'query') return query;
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** The next statement runs under this tenant (null: none, platform tables only). */
  bind(orgId: string | null): void {
    this.wanted = orgId;
  }
}
