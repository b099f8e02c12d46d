import type pg from 'pg';
import { type DataSource } from 'typeorm';

/** Any fixed number: the key of the advisory lock that serializes migrators. */
const MIGRATION_LOCK_KEY = 7_346_201_775;

/**
 * Runs pending migrations as the owner role, each in its own transaction.
 * The api and a separate projector process may start together: a session
 * advisory lock, held on a connection of its own, makes the second wait for
 * the first instead of both applying the same migration.
 *
 * @returns the names of the migrations applied now
 */
export async function runMigrations(ownerPool: pg.Pool, owner: DataSource): Promise<string[]> {
  const lock = await ownerPool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await owner.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    lock.release();
  }
}
