import type pg from 'pg';
import { START } from '../event-store/index.js';
import { type Projection } from './projection.js';

/** Any fixed number: serializes installers across processes (api and projector start together). */
const INSTALL_LOCK_KEY = 7_346_201_776;

/** Thrown when the database holds a newer version of a projection than this code: never downgraded. */
export class ProjectionVersionMismatch extends Error {
  readonly code = 'PROJECTION.VERSION_MISMATCH';
  constructor(
    readonly projection: string,
    readonly installed: number,
    readonly wanted: number,
  ) {
    super(
      `Projection ${projection} is installed at version ${installed}, newer than this code's version ${wanted}: ` +
        'run the newer code, or rebuild it with this code (tenantry projections rebuild).',
    );
    this.name = 'ProjectionVersionMismatch';
  }
}

/**
 * - `installed`: this call created its tables and checkpoint (an empty database).
 * - `current`: its checkpoint row holds this version.
 * - `needs-build`: its tables exist without a checkpoint row (deleted by
 *   hand), or the row holds an older version: the tables stay as they are,
 *   serving, until a rebuild beside them switches in (rebuild.ts).
 */
export type InstallOutcome = 'installed' | 'current' | 'needs-build';

/**
 * Creates a projection's tables and its checkpoint row (at the start of the
 * log) when neither exists, in one transaction, so a crash leaves either both
 * or neither. Anything else an operator may have left (tables without a row,
 * an older version) is never an error here: it is answered `needs-build`,
 * and the caller rebuilds beside the live tables. Idempotent; safe to call
 * from several processes at once.
 */
export async function installProjection(ownerPool: pg.Pool, projection: Projection): Promise<InstallOutcome> {
  const client = await ownerPool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [INSTALL_LOCK_KEY]);
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM projection.checkpoints WHERE name = $1',
      [projection.name],
    );
    const installed = rows[0];
    if (installed) {
      await client.query('COMMIT');
      if (installed.version > projection.version) {
        throw new ProjectionVersionMismatch(projection.name, installed.version, projection.version);
      }
      return installed.version === projection.version ? 'current' : 'needs-build';
    }
    const existing = await client.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM unnest($1::text[]) AS t(name) WHERE to_regclass(t.name) IS NOT NULL',
      [projection.tables],
    );
    if (existing.rows[0]!.count > 0) {
      await client.query('COMMIT');
      return 'needs-build';
    }
    await client.query(projection.schemaSql);
    await client.query(
      `INSERT INTO projection.checkpoints (name, version, policy_version, position, state)
       VALUES ($1, $2, $3, $4, 'catching_up')`,
      [projection.name, projection.version, projection.policyVersion ?? null, START],
    );
    await client.query('COMMIT');
    return 'installed';
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
