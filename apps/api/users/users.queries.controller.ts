import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type PageRequest } from '../../../projections/page.js';
import { getUser, listActiveTokens } from '../../../projections/users/index.js';
import { CurrentUserId } from '../auth/auth.decorators.js';
import { PageParams, toListAnswer } from '../http/pagination.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { ReadModels } from '../read-side/read-side.js';

/** A user's own profile and tokens, from the users projection (DESIGN.md §10). */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me')
export class UsersQueriesController {
  constructor(private readonly readModels: ReadModels) {}

  @Get()
  @ApiOkResponse({ description: '`{ user: { id, email, displayName, status, registeredAt } }`' })
  async me(@CurrentUserId() userId: string) {
    const user = await this.readModels.asUser(userId, (client) => getUser(client, userId));
    // Authenticated from the same projection, so only a racing rebuild could miss it.
    if (!user) throw new ProblemError(notFoundProblem());
    return { user };
  }

  /** Active tokens only, by issue order; each shows its prefix, never its hash. */
  @Get('tokens')
  @ApiOkResponse({ description: '`{ items: [{ id, name, prefix, issuedAt }], nextCursor }`' })
  async tokens(@CurrentUserId() userId: string, @PageParams() page: PageRequest) {
    return toListAnswer(
      await this.readModels.asUser(userId, (client) => listActiveTokens(client, userId, page)),
    );
  }
}
