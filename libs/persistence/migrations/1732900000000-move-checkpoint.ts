import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `projection.move_checkpoint`: moves a projection's checkpoint past a
 * batch and notifies its channel, and fails (SQLSTATE TP001:
 * libs/projection-runtime checkpoint.ts `CHECKPOINT_MOVED_ELSEWHERE_SQLSTATE`)
 * when the checkpoint is not where the runner believes it is, is failed, or
 * is of another generation. Failing, rather than changing nothing, lets a
 * runner send the move and its COMMIT together (libs/projection-runtime
 * batch-commit.ts): a move that fails aborts the transaction, and the COMMIT
 * behind it rolls the batch's rows back with it.
 *
 * Runs as its caller (SECURITY INVOKER), and only the owner may run it: the
 * app role, which may only read checkpoints, could not move one anyway.
 * The channel and the SQLSTATE are written out, not imported: an applied
 * migration never changes.
 */
export class MoveCheckpoint1732900000000 implements MigrationInterface {
  readonly name = 'MoveCheckpoint1732900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION projection.move_checkpoint(
        p_name text, p_from text, p_to text, p_state text, p_events bigint,
        p_last_event_recorded_at timestamptz, p_generation integer
      ) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE projection.checkpoints
           SET position = p_to, state = p_state, events_applied = events_applied + p_events,
               last_event_recorded_at = p_last_event_recorded_at, retries = 0, last_error = NULL,
               updated_at = now()
         WHERE name = p_name AND position = p_from AND state <> 'failed' AND generation = p_generation;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'the checkpoint of projection % is not at %', p_name, p_from
            USING ERRCODE = 'TP001';
        END IF;
        PERFORM pg_notify('tenantry_projection_checkpoint', p_name);
      END $$;
      REVOKE EXECUTE ON FUNCTION projection.move_checkpoint(text, text, text, text, bigint, timestamptz, integer)
        FROM PUBLIC;`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'DROP FUNCTION projection.move_checkpoint(text, text, text, text, bigint, timestamptz, integer)',
    );
  }
}
