import { Body, Controller, Delete, Param, Post, Put } from '@nestjs/common';
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
import { Command } from '../http/command-context.decorator.js';
import { CommandResponse } from '../http/command-response.js';
import { UuidParamPipe } from '../http/uuid-param.pipe.js';
import {
  ChangeGroupCommand,
  CreateGroupCommand,
  type GroupChange,
  type GroupOutcome,
} from '../../../libs/application/index.js';
import { ORG_PARAM } from '../organizations/organizations.dto.js';
import { CreatedGroupView, CreateGroupDto, GroupMemberView } from './groups.dto.js';

/**
 * Groups of an organization, the write side (DESIGN.md §5 Group, §10). Owners
 * and admins manage them; other members get 403, non-members of the org the
 * org's 404, and a deleted group is missing (404) for every route.
 */
@ApiTags('groups')
@ApiBearerAuth()
@ApiParam(ORG_PARAM)
@Controller('v1/orgs/:org/groups')
export class GroupsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedGroupView })
  async create(@Param('org') org: string, @Body() body: CreateGroupDto, @Command() context: CommandContext) {
    const outcome = await this.commands.execute<CreateGroupCommand, GroupOutcome>(
      new CreateGroupCommand(org, body.name, context),
    );
    const group = outcome.state;
    if (group.status !== 'active') throw new Error('a group creation answered with no group');
    return CommandResponse.created(outcome.position, { group: { id: group.groupId, name: group.name } });
  }

  /**
   * Idempotent: 201 when it made the user a member (RFC 9110 §9.3.4, as for
   * org members), 200 when they already were, appending nothing.
   */
  @Put(':groupId/members/:userId')
  @ApiOkResponse({ type: GroupMemberView, description: 'The user already was a member' })
  @ApiCreatedResponse({ type: GroupMemberView, description: 'The user was added' })
  async addMember(
    @Param('org') org: string,
    @Param('groupId', UuidParamPipe) groupId: string,
    @Param('userId', UuidParamPipe) userId: string,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.change(org, groupId, { type: 'AddGroupMember', userId }, context);
    const status = outcome.events.length > 0 ? 201 : 200;
    return new CommandResponse(outcome.position, { groupId, userId }, status);
  }

  /** Idempotent: removing a user who is not in the group answers 204 and appends nothing. */
  @Delete(':groupId/members/:userId')
  @ApiNoContentResponse()
  async removeMember(
    @Param('org') org: string,
    @Param('groupId', UuidParamPipe) groupId: string,
    @Param('userId', UuidParamPipe) userId: string,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.change(org, groupId, { type: 'RemoveGroupMember', userId }, context);
    return new CommandResponse(outcome.position, undefined);
  }

  /** A deleted group is gone for good: deleting it again is 404, like any missing group. */
  @Delete(':groupId')
  @ApiNoContentResponse()
  async delete(
    @Param('org') org: string,
    @Param('groupId', UuidParamPipe) groupId: string,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.change(org, groupId, { type: 'DeleteGroup' }, context);
    return new CommandResponse(outcome.position, undefined);
  }

  private change(org: string, groupId: string, change: GroupChange, context: CommandContext) {
    return this.commands.execute<ChangeGroupCommand, GroupOutcome>(
      new ChangeGroupCommand(org, groupId, change, context),
    );
  }
}
