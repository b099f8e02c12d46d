import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Answers kept for `Idempotency-Key` (DESIGN.md §10), per caller and key.
 * Written through the owner role only; nothing is granted to tenantry_app.
 * Plaintext tokens are never kept here (the API stores them as null).
 */
export class IdempotencyKeys1732406500000 implements MigrationInterface {
  readonly name = 'IdempotencyKeys1732406500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        caller       text        NOT NULL,
        key          text        NOT NULL,
        request_hash text        NOT NULL,
        state        text        NOT NULL CHECK (state IN ('pending', 'done')),
        status       integer,
        position     text,
        body         jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (caller, key)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE idempotency_keys');
  }
}
