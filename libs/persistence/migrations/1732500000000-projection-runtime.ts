import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { APP_ROLE } from '../roles.js';

/**
 * The projection runtime's platform tables (DESIGN.md §7, §8) and the
 * schema read models live in. Each projection creates its own tables the
 * first time its version runs (libs/projection-runtime), so a new version
 * can later be built beside the live one.
 *
 * - `checkpoints`: one row per projection: where it is in the log, its
 *   state and last error. Written in the same transaction as the rows.
 * - `skips`: the log of explicit skips by support staff, with reasons.
 */
export class ProjectionRuntime1732500000000 implements MigrationInterface {
  readonly name = 'ProjectionRuntime1732500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE SCHEMA projection;
      CREATE TABLE projection.checkpoints (
        name                   text        PRIMARY KEY,
        version                integer     NOT NULL,
        policy_version         integer     NOT NULL,
        position               text        NOT NULL,
        state                  text        NOT NULL CHECK (state IN ('catching_up', 'live', 'failed')),
        failed_position        text,
        last_error             text,
        retries                integer     NOT NULL DEFAULT 0,
        events_applied         bigint      NOT NULL DEFAULT 0,
        last_event_recorded_at timestamptz,
        updated_at             timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE projection.skips (
        id         bigserial   PRIMARY KEY,
        name       text        NOT NULL,
        position   text        NOT NULL,
        event_type text        NOT NULL,
        reason     text        NOT NULL,
        actor      text        NOT NULL,
        skipped_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE SCHEMA read_model;
      GRANT USAGE ON SCHEMA projection TO ${APP_ROLE};
      GRANT USAGE ON SCHEMA read_model TO ${APP_ROLE};
      GRANT SELECT ON projection.checkpoints TO ${APP_ROLE};`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP SCHEMA read_model CASCADE; DROP SCHEMA projection CASCADE;');
  }
}
