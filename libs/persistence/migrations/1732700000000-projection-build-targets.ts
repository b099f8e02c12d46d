import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What a rebuild builds towards (libs/projection-runtime/rebuild.ts), so
 * status and /metrics can say how far along it is, whichever process runs it:
 *
 * - `target_position`: the log's head when the run (re)started;
 * - `events_total`: the events of the log (of the org's streams, with
 *   `--org`) up to it, the total `events_applied` counts towards. NULL when
 *   not counted (an event store that cannot count cheaply, and nobody
 *   watching a progress bar).
 *
 * The app role reads them through its grant on the table.
 */
export class ProjectionBuildTargets1732700000000 implements MigrationInterface {
  readonly name = 'ProjectionBuildTargets1732700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE projection.builds
        ADD COLUMN target_position text,
        ADD COLUMN events_total    bigint;`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE projection.builds
        DROP COLUMN target_position,
        DROP COLUMN events_total;`);
  }
}
