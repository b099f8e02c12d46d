import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { APP_ROLE } from '../roles.js';

/**
 * Blue/green rebuilds (DESIGN.md §8, libs/projection-runtime/README.md).
 *
 * - `checkpoints.generation`: bumped by every switch to a rebuilt version,
 *   so a runner that read the row before the switch cannot move it after.
 * - `checkpoints.policy_version` becomes nullable: only projections that
 *   materialize policy-derived data record one; the others never go stale.
 * - `builds`: one row per rebuild in progress, moved in the same
 *   transaction as the rows of its side schema, so a killed rebuild resumes.
 */
export class ProjectionBuilds1732600000000 implements MigrationInterface {
  readonly name = 'ProjectionBuilds1732600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE projection.checkpoints
        ADD COLUMN generation integer NOT NULL DEFAULT 1,
        ALTER COLUMN policy_version DROP NOT NULL;
      CREATE TABLE projection.builds (
        name                   text        PRIMARY KEY,
        version                integer     NOT NULL,
        policy_version         integer,
        org_id                 uuid,
        schema_name            text        NOT NULL,
        position               text        NOT NULL,
        events_applied         bigint      NOT NULL DEFAULT 0,
        last_event_recorded_at timestamptz,
        started_at             timestamptz NOT NULL DEFAULT now(),
        updated_at             timestamptz NOT NULL DEFAULT now()
      );
      GRANT SELECT ON projection.builds TO ${APP_ROLE};
      GRANT SELECT ON projection.skips TO ${APP_ROLE};`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE projection.builds;
      ALTER TABLE projection.checkpoints DROP COLUMN generation;`);
  }
}
