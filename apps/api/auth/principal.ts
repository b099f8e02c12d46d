/** Who is calling: the operator (platform admin, no tenant access) or a user. */
export type Principal = { readonly kind: 'operator' } | { readonly kind: 'user'; readonly userId: string };

/** Where the guard leaves the principal on the request. */
export const PRINCIPAL = Symbol('principal');

export interface AuthenticatedRequest {
  [PRINCIPAL]?: Principal;
}
