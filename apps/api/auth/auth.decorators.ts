import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { type AuthenticatedRequest, type Principal, PRINCIPAL } from './principal.js';

export type Audience = 'public' | 'operator' | 'user';
export const AUDIENCE = 'tenantry:audience';

/** No authentication (probes, metrics, the OpenAPI document). */
export const Public = () => SetMetadata(AUDIENCE, 'public' satisfies Audience);
/** The operator token only: user management and admin routes (DESIGN.md §4). */
export const OperatorOnly = () => SetMetadata(AUDIENCE, 'operator' satisfies Audience);

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<AuthenticatedRequest>()[PRINCIPAL]!,
);

/** The calling user's id, on routes only users reach (the default audience). */
export const CurrentUserId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>()[PRINCIPAL];
  if (principal?.kind !== 'user') throw new Error('CurrentUserId on a route users do not reach');
  return principal.userId;
});
