import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { isUuid, SLUG_PATTERN } from '../../../libs/domain/kernel/index.js';
import { isOrgManager } from '../../../libs/domain/organization/organization.state.js';
import { type PageRequest } from '../../../projections/page.js';
import { findVisibleWorkspace, listVisibleWorkspaces } from '../../../projections/workspaces/index.js';
import { CurrentUserId } from '../auth/auth.decorators.js';
import { PageParams, parseBooleanQuery, toListAnswer } from '../http/pagination.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { ORG_PARAM } from '../organizations/organizations.dto.js';
import { CurrentReadScope, ReadsModels, type RequestReadScope } from '../read-side/request-read-scope.js';

/**
 * Workspaces, the read side (DESIGN.md §10). One the caller cannot see is a
 * 404, like a missing one. Visibility is the command side's
 * (libs/domain/workspace/workspace.access.ts canSeeWorkspace): org owners and
 * admins act as admins on every workspace, so they see them all
 * (isOrgManager); anyone else sees those whose membership counts, which the
 * query applies with the same policy list.
 */
@ApiTags('workspaces')
@ApiBearerAuth()
@ApiParam(ORG_PARAM)
@ReadsModels()
@Controller('v1/orgs/:org/workspaces')
export class WorkspacesQueriesController {
  /** By slug; archived workspaces only with `?includeArchived=true`. */
  @Get()
  @ApiQuery({ name: 'includeArchived', required: false, type: Boolean })
  @ApiOkResponse({ description: '`{ items: [{ id, slug, name, archivedAt, role }], nextCursor }`' })
  async list(
    @CurrentReadScope() scope: RequestReadScope,
    @CurrentUserId() userId: string,
    @PageParams() page: PageRequest,
    @Query('includeArchived') includeArchivedParam: unknown,
  ) {
    const includeArchived = parseBooleanQuery('includeArchived', includeArchivedParam);
    return toListAnswer(
      await scope.inOrg((client, membership) =>
        listVisibleWorkspaces(client, {
          orgId: membership.orgId,
          userId,
          seesAll: isOrgManager(membership.role),
          workspaceSharingDisabled: membership.settings.workspaceSharingDisabled,
          includeArchived,
          page,
        }),
      ),
    );
  }

  /** `{ws}` is the workspace's id or slug; an archived one shows `archivedAt`. */
  @Get(':ws')
  @ApiParam({ name: 'ws', description: "The workspace's id or slug" })
  @ApiOkResponse({ description: '`{ workspace: { id, slug, name, archivedAt, role } }`' })
  async get(
    @CurrentReadScope() scope: RequestReadScope,
    @Param('ws') ws: string,
    @CurrentUserId() userId: string,
  ) {
    if (!isUuid(ws) && !SLUG_PATTERN.test(ws)) throw new ProblemError(notFoundProblem());
    const workspace = await scope.inOrg((client, membership) =>
      findVisibleWorkspace(client, {
        orgId: membership.orgId,
        userId,
        seesAll: isOrgManager(membership.role),
        workspaceSharingDisabled: membership.settings.workspaceSharingDisabled,
        idOrSlug: isUuid(ws) ? ws.toLowerCase() : ws,
      }),
    );
    if (!workspace) throw new ProblemError(notFoundProblem());
    return { workspace };
  }
}
