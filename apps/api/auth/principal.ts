import { type Position } from '../../../libs/event-store/index.js';

/**
 * Who is calling: the operator (platform admin, no tenant access) or a user.
 * `fromLog` is set when the user's token was accepted by their own stream in
 * the event store because the users projection did not have it yet: the
 * position of the stream's last event, which the projections have not
 * necessarily reached.
 */
export type Principal =
  | { readonly kind: 'operator' }
  | { readonly kind: 'user'; readonly userId: string; readonly fromLog?: Position };

/** Where the guard leaves the principal on the request. */
export const PRINCIPAL = Symbol('principal');

export interface AuthenticatedRequest {
  [PRINCIPAL]?: Principal;
}
