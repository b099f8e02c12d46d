import type pg from 'pg';
import type { Logger } from 'pino';

/**
 * Planner statistics for read models that grew fast. Until autovacuum gets
 * to tables that grew from nothing, the planner believes them nearly empty
 * and picks plans for a few rows: the first page of a user's chats read every
 * chat of the org and sorted them, 13 ms instead of a fraction of one. So a
 * rebuild analyzes its side tables before the switch (rebuild.ts), and a
 * runner analyzes its tables after a catch-up of at least
 * {@link ANALYZE_AFTER_CATCH_UP_EVENTS} events (a first build, a long outage).
 */
export const ANALYZE_AFTER_CATCH_UP_EVENTS = 10_000;

/** ANALYZE of these tables; a failure is logged, never fatal: the rows are right either way. */
export async function analyzeTables(
  client: pg.ClientBase,
  tables: readonly string[],
  log: Logger,
): Promise<void> {
  try {
    await client.query(`ANALYZE ${tables.join(', ')}`);
  } catch (error) {
    log.warn({ err: error, tables }, 'ANALYZE of projection tables failed');
  }
}
