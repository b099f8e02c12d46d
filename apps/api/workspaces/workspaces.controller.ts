import { Body, Controller, Delete, HttpCode, Param, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { type CommandContext } from '../../../libs/command-runtime/index.js';
import { type WorkspaceState } from '../../../libs/domain/workspace/workspace.state.js';
import { Command } from '../http/command-context.decorator.js';
import { CommandResponse } from '../http/command-response.js';
import { UuidParamPipe } from '../http/uuid-param.pipe.js';
import {
  ChangeWorkspaceCommand,
  CreateWorkspaceCommand,
  type WorkspaceChange,
  type WorkspaceOutcome,
} from '../../../libs/application/index.js';
import {
  CreateWorkspaceDto,
  SetWorkspaceMemberRoleDto,
  WorkspaceAnswer,
  WorkspaceMemberAnswer,
  type WorkspaceMemberView,
  type WorkspaceView,
} from './workspaces.dto.js';

/**
 * Workspace writes (DESIGN.md §5 Workspace, §10). `{org}` is the org's id or
 * slug, `{ws}` the workspace's id or slug in it. Who may do what, and in
 * which order refusals come (404, 400, 410, 403, 409), is the workspace
 * decider's; this controller only states the commands and shapes answers.
 */
@ApiTags('workspaces')
@ApiBearerAuth()
@Controller('v1/orgs/:org/workspaces')
export class WorkspacesController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiCreatedResponse({ type: WorkspaceAnswer })
  async create(
    @Param('org') org: string,
    @Body() body: CreateWorkspaceDto,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.commands.execute<CreateWorkspaceCommand, WorkspaceOutcome>(
      new CreateWorkspaceCommand(org, body.slug, body.name, context),
    );
    return CommandResponse.created(outcome.position, { workspace: workspaceView(outcome.state) });
  }

  /**
   * Adds the user (201, RFC 9110 §9.3.4: a PUT that creates), or changes their
   * role (200); the same role again appends nothing and answers 200. The
   * organization and group member routes answer the same way.
   */
  @Put(':ws/members/:userId')
  @ApiCreatedResponse({ type: WorkspaceMemberAnswer, description: 'The user was added' })
  @ApiOkResponse({ type: WorkspaceMemberAnswer, description: 'The role was changed, or already held' })
  async setMemberRole(
    @Param('org') org: string,
    @Param('ws') ws: string,
    @Param('userId', UuidParamPipe) userId: string,
    @Body() body: SetWorkspaceMemberRoleDto,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.change(
      org,
      ws,
      { type: 'SetWorkspaceMemberRole', userId, role: body.role },
      context,
    );
    const added = outcome.events.some((event) => event.type === 'WorkspaceMemberAdded');
    return new CommandResponse(
      outcome.position,
      { member: memberView(outcome.state, userId) },
      added ? 201 : 200,
    );
  }

  @Delete(':ws/members/:userId')
  @ApiNoContentResponse({ description: 'Removed; the consistency token is in X-Consistency-Token.' })
  async removeMember(
    @Param('org') org: string,
    @Param('ws') ws: string,
    @Param('userId', UuidParamPipe) userId: string,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.change(org, ws, { type: 'RemoveWorkspaceMember', userId }, context);
    return new CommandResponse(outcome.position, undefined);
  }

  /** Archiving an archived workspace appends nothing and answers 200 with its `archivedAt`. */
  @Post(':ws/archive')
  @HttpCode(200)
  @ApiOkResponse({ type: WorkspaceAnswer })
  async archive(@Param('org') org: string, @Param('ws') ws: string, @Command() context: CommandContext) {
    const outcome = await this.change(org, ws, { type: 'ArchiveWorkspace' }, context);
    return new CommandResponse(outcome.position, { workspace: workspaceView(outcome.state) });
  }

  @Post(':ws/unarchive')
  @HttpCode(200)
  @ApiOkResponse({ type: WorkspaceAnswer })
  async unarchive(@Param('org') org: string, @Param('ws') ws: string, @Command() context: CommandContext) {
    const outcome = await this.change(org, ws, { type: 'UnarchiveWorkspace' }, context);
    return new CommandResponse(outcome.position, { workspace: workspaceView(outcome.state) });
  }

  private change(org: string, ws: string, change: WorkspaceChange, context: CommandContext) {
    return this.commands.execute<ChangeWorkspaceCommand, WorkspaceOutcome>(
      new ChangeWorkspaceCommand(org, ws, change, context),
    );
  }
}

function workspaceView(state: WorkspaceState): WorkspaceView {
  if (state.status !== 'active') throw new Error('a workspace command answered with no workspace');
  return {
    id: state.workspaceId,
    slug: state.slug,
    name: state.name,
    archivedAt: state.archivedBy?.occurredAt ?? null,
  };
}

function memberView(state: WorkspaceState, userId: string): WorkspaceMemberView {
  const member = state.status === 'active' ? state.members.get(userId) : undefined;
  if (!member) throw new Error('a membership command answered with no member');
  return { userId, role: member.role };
}
