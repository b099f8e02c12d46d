import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { EVENT_STORE_SCHEMA_SQL } from '../../event-store/postgres/schema.js';

/**
 * The Postgres event store's schema (libs/event-store/postgres/schema.ts).
 * Created even when EventStoreDB holds the log, so switching stores needs no
 * other migration. Nothing is granted to tenantry_app: queries never read
 * the log (DESIGN.md §2).
 */
export class EventStoreSchema1732406400000 implements MigrationInterface {
  readonly name = 'EventStoreSchema1732406400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(EVENT_STORE_SCHEMA_SQL);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP SCHEMA IF EXISTS eventstore CASCADE');
  }
}
