import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { listGroups } from '../../../projections/groups/index.js';
import { listMembers, listOrgsOfUser } from '../../../projections/organizations/index.js';
import { type PageRequest } from '../../../projections/page.js';
import { CurrentUserId } from '../auth/auth.decorators.js';
import { PageParams, toListAnswer } from '../http/pagination.js';
import { CurrentReadScope, ReadsModels, type RequestReadScope } from '../read-side/request-read-scope.js';
import { ORG_PARAM } from './organizations.dto.js';

/**
 * Organizations, their members and groups, the read side (DESIGN.md §10).
 * Any member may read them; to anyone else the org does not exist (404).
 * Member lists show display names and roles, never emails.
 */
@ApiTags('organizations')
@ApiBearerAuth()
@ReadsModels()
@Controller('v1/orgs')
export class OrganizationsQueriesController {
  /** The orgs the caller belongs to, by slug, with the caller's role in each. */
  @Get()
  @ApiOkResponse({ description: '`{ items: [{ id, slug, name, role }], nextCursor }`' })
  async list(
    @CurrentReadScope() scope: RequestReadScope,
    @CurrentUserId() userId: string,
    @PageParams() page: PageRequest,
  ) {
    return toListAnswer(await scope.asUser((client) => listOrgsOfUser(client, userId, page)));
  }

  @Get(':org')
  @ApiParam(ORG_PARAM)
  @ApiOkResponse({ description: '`{ org: { id, slug, name, settings, role } }`' })
  async get(@CurrentReadScope() scope: RequestReadScope) {
    return scope.inOrg(async (_client, membership) => ({
      org: {
        id: membership.orgId,
        slug: membership.slug,
        name: membership.name,
        settings: membership.settings,
        role: membership.role,
      },
    }));
  }

  @Get(':org/members')
  @ApiParam(ORG_PARAM)
  @ApiOkResponse({ description: '`{ items: [{ userId, displayName, role }], nextCursor }`' })
  async members(@CurrentReadScope() scope: RequestReadScope, @PageParams() page: PageRequest) {
    return toListAnswer(await scope.inOrg((client, { orgId }) => listMembers(client, orgId, page)));
  }

  @Get(':org/groups')
  @ApiParam(ORG_PARAM)
  @ApiOkResponse({ description: '`{ items: [{ id, name, memberCount }], nextCursor }`' })
  async groups(@CurrentReadScope() scope: RequestReadScope, @PageParams() page: PageRequest) {
    return toListAnswer(await scope.inOrg((client, { orgId }) => listGroups(client, orgId, page)));
  }
}
