import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type CommandContext } from '../../../libs/command-runtime/index.js';
import { OPERATOR_ACTOR_ID } from '../../../libs/domain/user/user.commands.js';
import { isUuid } from '../../../libs/domain/kernel/index.js';
import { type AuthenticatedRequest, PRINCIPAL } from '../auth/principal.js';
import { headerOf, type HttpRequest } from './http-exchange.js';

/**
 * The metadata a request's events carry (DESIGN.md §6): the caller, the
 * correlation id (the client's `X-Correlation-Id` when it is a UUID, so a
 * client can tie several requests together, else a fresh one), this
 * request's own id as causation, and the time, read once here.
 */
export const Command = createParamDecorator((_: unknown, context: ExecutionContext): CommandContext => {
  const request = context.switchToHttp().getRequest<HttpRequest & AuthenticatedRequest>();
  const principal = request[PRINCIPAL];
  const correlation = headerOf(request, 'x-correlation-id');
  const requestId = randomUUID();
  return {
    actorId: principal?.kind === 'user' ? principal.userId : OPERATOR_ACTOR_ID,
    correlationId: isUuid(correlation) ? correlation.toLowerCase() : requestId,
    causationId: requestId,
    now: new Date(),
  };
});
