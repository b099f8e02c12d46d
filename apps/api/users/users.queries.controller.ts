import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type PageRequest } from '../../../projections/page.js';
import { getUser, listActiveTokens } from '../../../projections/users/index.js';
import { CurrentPrincipal, CurrentUserId } from '../auth/auth.decorators.js';
import { type Principal } from '../auth/principal.js';
import { PageParams, toListAnswer } from '../http/pagination.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { ConsistencyGate } from '../read-side/consistency-gate.js';
import { ReadModels } from '../read-side/read-side.js';
import { CurrentReadScope, ReadsModels, type RequestReadScope } from '../read-side/request-read-scope.js';

/** A user's own profile and tokens, from the users projection (DESIGN.md §10). */
@ApiTags('users')
@ApiBearerAuth()
@ReadsModels()
@Controller('v1/users/me')
export class UsersQueriesController {
  constructor(
    private readonly readModels: ReadModels,
    private readonly consistency: ConsistencyGate,
  ) {}

  /**
   * From the users projection. A caller the guard authenticated from their
   * own stream (a token the projection did not have yet, BearerAuthGuard) may
   * be missing from it: then the answer waits, as a consistency token would,
   * for the projections to reach that stream's last event, and reads again.
   */
  @Get()
  @ApiOkResponse({ description: '`{ user: { id, email, displayName, status, registeredAt } }`' })
  async me(@CurrentReadScope() scope: RequestReadScope, @CurrentPrincipal() principal: Principal) {
    const userId = scope.userId;
    let user = await scope.asUser((client) => getUser(client, userId));
    if (!user && principal.kind === 'user' && principal.fromLog !== undefined) {
      await scope.end();
      await this.consistency.waitFor(principal.fromLog);
      user = await this.readModels.asUser(userId, (client) => getUser(client, userId));
    }
    // Otherwise authenticated from the same projection, so only a racing rebuild could miss it.
    if (!user) throw new ProblemError(notFoundProblem());
    return { user };
  }

  /** Active tokens only, by issue order; each shows its prefix, never its hash. */
  @Get('tokens')
  @ApiOkResponse({ description: '`{ items: [{ id, name, prefix, issuedAt }], nextCursor }`' })
  async tokens(
    @CurrentReadScope() scope: RequestReadScope,
    @CurrentUserId() userId: string,
    @PageParams() page: PageRequest,
  ) {
    return toListAnswer(await scope.asUser((client) => listActiveTokens(client, userId, page)));
  }
}
