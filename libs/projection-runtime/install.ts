import type pg from 'pg';
import { ACCESS_POLICY_VERSION } from '../authz/policy.js';
import { START } from '../event-store/index.js';
import { type Projection } from './projection.js';

/** Any fixed number: serializes installers across processes (api and projector start together). */
const INSTALL_LOCK_KEY = 7_346_201_776;

/** Thrown when the database holds another version of a projection than this code. */
export class ProjectionVersionMismatch extends Error {
  readonly code = 'PROJECTION.VERSION_MISMATCH';
  constructor(
    readonly projection: string,
    readonly installed: number,
    readonly wanted: number,
  ) {
    super(
      `Projection ${projection} is installed at version ${installed}, this code is version ${wanted}: ` +
        'rebuild it (tenantry projections rebuild) before running this code against it.',
    );
    this.name = 'ProjectionVersionMismatch';
  }
}

/**
 * Creates a projection's tables and its checkpoint row (at the start of the
 * log) the first time its version runs, in one transaction, so a crash
 * leaves either both or neither. Idempotent; safe to call from several
 * processes at once.
 *
 * @returns true when this call installed it
 */
export async function installProjection(ownerPool: pg.Pool, projection: Projection): Promise<boolean> {
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
      if (installed.version !== projection.version) {
        throw new ProjectionVersionMismatch(projection.name, installed.version, projection.version);
      }
      return false;
    }
    await client.query(projection.schemaSql);
    await client.query(
      `INSERT INTO projection.checkpoints (name, version, policy_version, position, state)
       VALUES ($1, $2, $3, $4, 'catching_up')`,
      [projection.name, projection.version, ACCESS_POLICY_VERSION, START],
    );
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
