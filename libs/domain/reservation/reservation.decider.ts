import { assertNever, type Decider, type DomainEvent, refuse, type Recorded } from '../kernel/index.js';

/**
 * Uniqueness across aggregates lives in the log (DESIGN.md §6): a slug is
 * claimed by appending to a stream named after it. A claim has two steps in
 * two streams (reserve the slug, then create the owner), and the second may
 * fail or never happen (a crash between them). So a claim must never block a
 * slug forever:
 *
 * - the claimant releases the slug when its creation fails;
 * - a claim whose owner still does not exist after the lease has passed is
 *   abandoned, and the next claimant takes the slug over.
 *
 * While the lease runs, a claim whose owner is not created yet still counts:
 * the first claimant may be about to create it.
 */
export const RESERVATION_LEASE_MS = 30_000;

export type SlugReserved = DomainEvent<'SlugReserved', { slug: string; ownerId: string }>;
export type SlugReleased = DomainEvent<'SlugReleased', { slug: string; ownerId: string }>;
export type ReservationEvent = SlugReserved | SlugReleased;

export interface ReserveSlug {
  readonly type: 'ReserveSlug';
  readonly slug: string;
  readonly ownerId: string;
  readonly now: Date;
  /** Looked up by the handler: does the current holder's aggregate exist? */
  readonly holderExists: boolean;
}

export interface ReleaseSlug {
  readonly type: 'ReleaseSlug';
  readonly slug: string;
  readonly ownerId: string;
}

export type ReservationCommand = ReserveSlug | ReleaseSlug;

export type ReservationState =
  | { readonly status: 'free' }
  | { readonly status: 'reserved'; readonly ownerId: string; readonly reservedAt: string };

export const reservationDecider: Decider<ReservationCommand, ReservationEvent, ReservationState> = {
  initialState: { status: 'free' },

  decide(command, state) {
    switch (command.type) {
      case 'ReserveSlug': {
        if (state.status === 'reserved') {
          if (state.ownerId === command.ownerId) return [];
          const leaseOver = command.now.getTime() - Date.parse(state.reservedAt) >= RESERVATION_LEASE_MS;
          if (command.holderExists || !leaseOver) {
            throw refuse.conflict('SLUG.TAKEN', `slug ${command.slug} is taken`);
          }
        }
        return [{ type: 'SlugReserved', data: { slug: command.slug, ownerId: command.ownerId } }];
      }
      case 'ReleaseSlug':
        if (state.status !== 'reserved' || state.ownerId !== command.ownerId) return [];
        return [{ type: 'SlugReleased', data: { slug: command.slug, ownerId: command.ownerId } }];
      default:
        return assertNever(command);
    }
  },

  evolve(_state, event: Recorded<ReservationEvent>) {
    switch (event.type) {
      case 'SlugReserved':
        return { status: 'reserved', ownerId: event.data.ownerId, reservedAt: event.ref.occurredAt };
      case 'SlugReleased':
        return { status: 'free' };
      default:
        return assertNever(event);
    }
  },
};
