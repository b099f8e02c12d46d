import type pg from 'pg';
import type { Logger } from 'pino';
import { setTenant } from '../persistence/index.js';
import { type Projection } from './projection.js';

/**
 * The end of a bulk build (Projection.completeBuild): the work the build's
 * `building` batches left undone, done once per tenant the build applied
 * events of (`projection.builds.tenants`, moved with its position), each in
 * transactions of its own under that tenant. Safe to run again: a rebuild
 * killed here resumes by running it again, from the first tenant.
 *
 * `raw` runs the transactions; `side` is the client whose table names point
 * at the side schema (rebuild.ts), over the same session.
 */
export async function completeBuild(options: {
  readonly projection: Projection;
  readonly raw: pg.ClientBase;
  readonly side: pg.ClientBase;
  readonly log: Logger;
  readonly onTenant?: (done: number, total: number) => void;
}): Promise<void> {
  const { projection, raw, side, log } = options;
  if (!projection.completeBuild) return;
  const { rows } = await raw.query<{ tenants: string[] }>(
    'SELECT tenants FROM projection.builds WHERE name = $1',
    [projection.name],
  );
  const tenants = rows[0]?.tenants ?? [];
  const started = performance.now();
  for (const [done, tenant] of tenants.entries()) {
    options.onTenant?.(done, tenants.length);
    await raw.query('BEGIN');
    try {
      await setTenant(raw, tenant);
      await projection.completeBuild(side, tenant, async () => {
        await raw.query('COMMIT');
        await raw.query('BEGIN');
        await setTenant(raw, tenant);
      });
      await raw.query('COMMIT');
    } catch (error) {
      await raw.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  options.onTenant?.(tenants.length, tenants.length);
  log.info(
    { tenants: tenants.length, seconds: (performance.now() - started) / 1000 },
    'build completed per tenant',
  );
}
