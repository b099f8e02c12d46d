import type pg from 'pg';
import { type Position, type RecordedEvent } from '../event-store/index.js';
import { applyEvents, type Upcast } from './apply-batch.js';
import { type CheckpointFailure, markCheckpointFailed, moveCheckpoint } from './checkpoint.js';
import { LazyBatchTransaction } from './lazy-batch-transaction.js';
import { type Projection } from './projection.js';
import { switchLockName } from './rebuild-contract.js';
import { type AppliedBatch, CheckpointMovedElsewhere } from './runner-contract.js';

// The transactions a ProjectionRunner (projection-runner.ts) commits on its
// applier connection: a batch's rows with its checkpoint, and a failure.

/** Where the runner's session stands: what a batch may move the checkpoint from. */
export interface RunnerSession {
  readonly projection: Projection;
  readonly upcast: Upcast;
  /** The checkpoint row's generation the session read: a rebuild switched in since refuses the batch. */
  readonly generation: number;
  /** The checkpoint as committed. */
  readonly committed: Position;
}

/**
 * Commits the batch's rows and checkpoint in one transaction. The
 * transaction begins with the projection's first statement
 * (lazy-batch-transaction.ts): a batch that writes nothing moves its
 * checkpoint in one statement of its own, with no lock to take, since that
 * statement's generation guard refuses a switched-in build as the lock's
 * check would. A batch that wrote sends its checkpoint's move and the
 * COMMIT together, one round trip: a move that finds the checkpoint
 * elsewhere fails, which aborts the transaction, and the COMMIT then rolls
 * it back (checkpoint.ts `moveCheckpoint`). On any other failure, whatever
 * was begun and not yet ended is rolled back, and the error is rethrown.
 *
 * Answers whether the projection wrote (`AppliedBatch.wrote`).
 */
export async function commitBatch(
  client: pg.ClientBase,
  session: RunnerSession,
  events: readonly RecordedEvent[],
  state: AppliedBatch['state'],
): Promise<boolean> {
  const name = session.projection.name;
  const last = events.at(-1)!;
  const transaction = new LazyBatchTransaction(client, (raw) => holdSwitchLock(raw, session));
  let ending = false;
  try {
    await applyEvents(transaction.client, session.projection, events, session.upcast);
    await transaction.opened();
    const move = moveCheckpoint(client, {
      name,
      generation: session.generation,
      from: session.committed,
      to: last.position,
      state,
      eventsApplied: events.length,
      lastEventRecordedAt: last.recordedAt,
    });
    ending = transaction.begun;
    // Not awaiting the move: on the pipelining session both leave in one round trip.
    const [moved] = await Promise.all([move, ending ? client.query('COMMIT') : undefined]);
    if (!moved) throw new CheckpointMovedElsewhere(name, session.committed);
    return transaction.begun;
  } catch (error) {
    // A lost connection fails the ROLLBACK too: that error ends the session, as it should.
    if (transaction.begun && !ending) await client.query('ROLLBACK');
    throw error;
  }
}

/** Marks the projection failed at the event, in a transaction of its own under the switch lock. */
export async function commitFailure(
  client: pg.ClientBase,
  session: RunnerSession,
  failure: CheckpointFailure,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await holdSwitchLock(client, session);
    await markCheckpointFailed(client, failure);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * Shared with every other batch, exclusive to a rebuild's switch
 * (rebuild.ts): taken first in each batch transaction, so a switch never
 * meets a batch half-way through the tables it moves.
 */
async function holdSwitchLock(client: pg.ClientBase, session: RunnerSession): Promise<void> {
  const name = session.projection.name;
  // Sent together: Postgres runs the check once the lock is granted.
  const [, { rows }] = await Promise.all([
    client.query('SELECT pg_advisory_xact_lock_shared(hashtext($1))', [switchLockName(name)]),
    // Checked under the lock: a batch that waited for a switch must not apply its events to
    // the tables switched in (they may hold them already, and an INSERT-only projection would
    // then fail on its own rows). Statements sent behind the check fail with its error, and
    // the batch rolls back (lazy-batch-transaction.ts).
    client.query<{ generation: number }>('SELECT generation FROM projection.checkpoints WHERE name = $1', [
      name,
    ]),
  ]);
  if (rows[0]?.generation !== session.generation) throw new CheckpointMovedElsewhere(name, session.committed);
}
