import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What a failed projection keeps about the event it stopped at, so support
 * staff can see it and `skip` can log it without reading the event store:
 * its type and id beside `failed_position`. A skip records the same, plus
 * the error that led to it.
 */
export class ProjectionFailures1732510000000 implements MigrationInterface {
  readonly name = 'ProjectionFailures1732510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE projection.checkpoints
        ADD COLUMN failed_event_type text,
        ADD COLUMN failed_event_id   text;
      ALTER TABLE projection.skips
        ADD COLUMN event_id text,
        ADD COLUMN error    text;
      CREATE INDEX skips_name_skipped_at ON projection.skips (name, skipped_at);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX projection.skips_name_skipped_at;
      ALTER TABLE projection.skips DROP COLUMN error, DROP COLUMN event_id;
      ALTER TABLE projection.checkpoints
        DROP COLUMN failed_event_id,
        DROP COLUMN failed_event_type;`);
  }
}
