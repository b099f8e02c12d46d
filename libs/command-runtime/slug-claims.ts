import { DomainError, type DomainErrorCode, refuse } from '../domain/kernel/index.js';
import { reservationDecider } from '../domain/reservation/reservation.decider.js';
import { type AggregateStore } from './aggregate-store.js';
import { type CommandContext } from './command-context.js';
import { executeCommand } from './execute-command.js';

export interface SlugClaim {
  /** The reservation stream (streams.orgSlugReservation and friends). */
  readonly streamName: string;
  readonly slug: string;
  /** The id of the aggregate being created under this slug. */
  readonly ownerId: string;
  /** Whether the aggregate of a current holder exists (else its claim may have been abandoned). */
  readonly holderExists: (holderId: string) => Promise<boolean>;
  readonly context: CommandContext;
  readonly orgId: string | undefined;
}

/**
 * Creates an aggregate under a unique slug (DESIGN.md §6): claim the slug in
 * its reservation stream, then run `create`. When creation fails the claim
 * is released, so the slug is free again at once; if this process dies in
 * between, the claim's lease runs out instead (libs/domain/reservation).
 * A slug held by another owner is 409 with `conflictCode`.
 */
export async function createUnderSlug<T>(
  aggregates: AggregateStore,
  claim: SlugClaim,
  conflictCode: DomainErrorCode,
  create: () => Promise<T>,
): Promise<T> {
  try {
    await executeCommand(aggregates, {
      decider: reservationDecider,
      streamName: claim.streamName,
      command: async (state) => ({
        type: 'ReserveSlug' as const,
        slug: claim.slug,
        ownerId: claim.ownerId,
        now: claim.context.now,
        holderExists: state.status === 'reserved' ? await claim.holderExists(state.ownerId) : false,
      }),
      context: claim.context,
      orgId: claim.orgId,
    });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'SLUG.TAKEN') {
      throw refuse.conflict(conflictCode, `${claim.slug} is taken`);
    }
    throw error;
  }
  try {
    return await create();
  } catch (error) {
    await executeCommand(aggregates, {
      decider: reservationDecider,
      streamName: claim.streamName,
      command: { type: 'ReleaseSlug', slug: claim.slug, ownerId: claim.ownerId },
      context: claim.context,
      orgId: claim.orgId,
    }).catch(() => undefined); // the lease frees it later anyway
    throw error;
  }
}
