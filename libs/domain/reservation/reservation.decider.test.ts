import { eventRefFor } from '../../event-store/testing/event-refs.js';
import { deciderSpec } from '../../../test/support/decider-spec.js';
import { RESERVATION_LEASE_MS, type ReservationEvent, reservationDecider } from './reservation.decider.js';

const spec = deciderSpec(reservationDecider);
const reserved = (ownerId: string): ReservationEvent => ({
  type: 'SlugReserved',
  data: { slug: 'acme', ownerId },
});
// The given SlugReserved is the first event, recorded at eventRefFor(1).occurredAt.
const reservedAt = Date.parse(eventRefFor(1).occurredAt);
const reserve = (ownerId: string, msAfter: number, holderExists: boolean) =>
  ({
    type: 'ReserveSlug',
    slug: 'acme',
    ownerId,
    now: new Date(reservedAt + msAfter),
    holderExists,
  }) as const;

describe('Slug reservation', () => {
  it('reserves a free slug', () => {
    spec
      .given()
      .when(reserve('org-1', 0, false))
      .then([reserved('org-1')]);
  });

  it('refuses a slug whose holder exists, however old the claim', () => {
    spec
      .given(reserved('org-1'))
      .when(reserve('org-2', RESERVATION_LEASE_MS * 100, true))
      .thenRefuses('SLUG.TAKEN', 'conflict');
  });

  it('refuses a fresh claim whose holder is still being created', () => {
    spec
      .given(reserved('org-1'))
      .when(reserve('org-2', RESERVATION_LEASE_MS - 1, false))
      .thenRefuses('SLUG.TAKEN', 'conflict');
  });

  it('takes over a claim abandoned past its lease', () => {
    spec
      .given(reserved('org-1'))
      .when(reserve('org-2', RESERVATION_LEASE_MS, false))
      .then([reserved('org-2')]);
  });

  it('is free again once released', () => {
    spec
      .given(reserved('org-1'), { type: 'SlugReleased', data: { slug: 'acme', ownerId: 'org-1' } })
      .when(reserve('org-2', 0, false))
      .then([reserved('org-2')]);
  });

  it('appends nothing when the same owner reserves again', () => {
    spec
      .given(reserved('org-1'))
      .when(reserve('org-1', 0, false))
      .thenNothing();
  });

  it('lets only the holder release', () => {
    spec
      .given(reserved('org-1'))
      .when({ type: 'ReleaseSlug', slug: 'acme', ownerId: 'org-1' })
      .then([{ type: 'SlugReleased', data: { slug: 'acme', ownerId: 'org-1' } }]);
    spec.given(reserved('org-1')).when({ type: 'ReleaseSlug', slug: 'acme', ownerId: 'org-2' }).thenNothing();
  });
});
