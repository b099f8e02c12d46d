import { Body, Controller, Delete, Param, Patch, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { type CommandContext } from '../../../libs/command-runtime/index.js';
import { type OrganizationState } from '../../../libs/domain/organization/organization.state.js';
import { CurrentUserId } from '../auth/auth.decorators.js';
import { Command } from '../http/command-context.decorator.js';
import { CommandResponse } from '../http/command-response.js';
import { ProblemError } from '../http/problem-details.js';
import { UuidParamPipe } from '../http/uuid-param.pipe.js';
import {
  ChangeOrganizationCommand,
  CreateOrganizationCommand,
  type OrganizationOutcome,
  SetOrgMemberRoleCommand,
} from '../../../libs/application/index.js';
import {
  ChangedSettingsView,
  ChangeOrgSettingsDto,
  CreatedOrgView,
  CreateOrganizationDto,
  ORG_PARAM,
  type OrgView,
  SetOrgMemberRoleDto,
  SetOrgMemberView,
} from './organizations.dto.js';

/**
 * Organizations and their members, the write side (DESIGN.md §5, §10).
 * Who may do what is the decider's (libs/domain/organization): a caller who
 * is not a member gets the same 404 as for an organization that does not exist.
 */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('v1/orgs')
export class OrganizationsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedOrgView })
  async create(@Body() body: CreateOrganizationDto, @Command() context: CommandContext) {
    const outcome = await this.execute(new CreateOrganizationCommand(body.slug, body.name, context));
    return CommandResponse.created(outcome.position, { org: orgView(outcome.state) });
  }

  /**
   * Sends only what changes; a field left out keeps its value. A change to
   * the values already held answers 200 and appends nothing.
   */
  @Patch(':org/settings')
  @ApiParam(ORG_PARAM)
  @ApiOkResponse({ type: ChangedSettingsView })
  async changeSettings(
    @Param('org') org: string,
    @Body() body: ChangeOrgSettingsDto,
    @CurrentUserId() actorId: string,
    @Command() context: CommandContext,
  ) {
    const { chatSharingDisabled, workspaceSharingDisabled } = body;
    if (chatSharingDisabled === undefined && workspaceSharingDisabled === undefined) throw nothingToChange();
    const outcome = await this.execute(
      new ChangeOrganizationCommand(
        org,
        { type: 'ChangeOrgSettings', actorId, chatSharingDisabled, workspaceSharingDisabled },
        context,
      ),
    );
    return new CommandResponse(outcome.position, { settings: orgView(outcome.state).settings });
  }

  /**
   * Adds the user or changes their role. A PUT that creates the membership
   * answers 201 (RFC 9110 §9.3.4); one that changes a role, or finds the
   * role already held (appending nothing), answers 200. The body is the same.
   */
  @Put(':org/members/:userId')
  @ApiParam(ORG_PARAM)
  @ApiOkResponse({ type: SetOrgMemberView, description: 'The role was changed, or already held' })
  @ApiCreatedResponse({ type: SetOrgMemberView, description: 'The user was added' })
  async setMemberRole(
    @Param('org') org: string,
    @Param('userId', UuidParamPipe) userId: string,
    @Body() body: SetOrgMemberRoleDto,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.execute(new SetOrgMemberRoleCommand(org, userId, body.role, context));
    const state = outcome.state;
    const role = state.status === 'active' ? state.members.get(userId)?.role : undefined;
    if (!role) throw new Error('a membership command answered with no member');
    const added = outcome.events.some((event) => event.type === 'OrgMemberAdded');
    return new CommandResponse(outcome.position, { member: { userId, role } }, added ? 201 : 200);
  }

  /** Removing someone who is not a member is 404: there is no such membership (unlike group members). */
  @Delete(':org/members/:userId')
  @ApiParam(ORG_PARAM)
  @ApiNoContentResponse()
  async removeMember(
    @Param('org') org: string,
    @Param('userId', UuidParamPipe) userId: string,
    @CurrentUserId() actorId: string,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.execute(
      new ChangeOrganizationCommand(org, { type: 'RemoveOrgMember', actorId, userId }, context),
    );
    return new CommandResponse(outcome.position, undefined);
  }

  private execute(
    command: CreateOrganizationCommand | SetOrgMemberRoleCommand | ChangeOrganizationCommand,
  ): Promise<OrganizationOutcome> {
    return this.commands.execute<typeof command, OrganizationOutcome>(command);
  }
}

function orgView(state: OrganizationState): OrgView {
  if (state.status !== 'active') throw new Error('an organization command answered with no organization');
  return { id: state.orgId, slug: state.slug, name: state.name, settings: { ...state.settings } };
}

const nothingToChange = () => {
  const message = 'send chatSharingDisabled, workspaceSharingDisabled or both';
  return ProblemError.of(400, 'REQUEST.INVALID', message, [
    { field: 'chatSharingDisabled', message },
    { field: 'workspaceSharingDisabled', message },
  ]);
};
