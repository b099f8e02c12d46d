import type pg from 'pg';
import { type EventStore, type Position } from '../event-store/index.js';
import { type Projection } from './projection.js';
import { RebuildRefused } from './rebuild-contract.js';

// Small steps of a rebuild (rebuild.ts) that need none of its state.

/**
 * Events of the log (of one org's streams) up to `head`: what a rebuild
 * counts to. The store counts them if it can (Postgres: milliseconds);
 * otherwise they are read, which costs about what reading them to apply does.
 */
export async function countEvents(eventStore: EventStore, streamPrefix: string | undefined, head: Position) {
  if (eventStore.countEvents) {
    return eventStore.countEvents({ upTo: head, ...(streamPrefix ? { streamPrefix } : {}) });
  }
  let count = 0;
  for await (const event of eventStore.readAll(streamPrefix ? { streamPrefix } : {})) {
    if (event.position > head) break;
    count++;
  }
  return count;
}

export async function requireTenantTables(client: pg.ClientBase, projection: Projection, schema: string) {
  const { rows } = await client.query<{ table_name: string }>(
    `SELECT t.table_name FROM information_schema.tables t
      WHERE t.table_schema = $1 AND NOT EXISTS (
        SELECT 1 FROM information_schema.columns c
         WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'org_id')`,
    [schema],
  );
  if (rows.length > 0) {
    throw new RebuildRefused(
      'PROJECTION.NOT_TENANT_SCOPED',
      `${projection.name} holds platform tables (${rows.map((r) => r.table_name).join(', ')}): rebuild it whole`,
    );
  }
}

export async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
