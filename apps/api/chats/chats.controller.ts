import { Body, Controller, Delete, Param, Patch, Post } from '@nestjs/common';
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
import { AclChangePipe } from './acl-change.pipe.js';
import {
  type ChatChange,
  ChangeChatCommand,
  type ChatOutcome,
  CreateChatCommand,
} from '../../../libs/application/index.js';
import {
  type AclChangeView,
  ChangeChatAclDto,
  ChangedAclAnswer,
  ChatAnswer,
  type ChatView,
  CreateChatDto,
  PostedMessageAnswer,
  PostMessageDto,
  RenameChatDto,
} from './chats.dto.js';
import { PostChatMessageCommand, type PostedMessage } from '../../../libs/application/index.js';

const ORG_PARAM = { name: 'org', description: "The organization's id or slug" } as const;

/**
 * Chats, the write side (DESIGN.md §5 Chat, §10). Who may do what is the
 * chat decider's, through libs/authz: 404 for whoever cannot read the chat
 * (a missing, deleted or other tenant's chat alike; the operator too), then
 * the command's 400s, 410 in an archived workspace, 403 without the
 * permission. Every refusal appends nothing.
 */
@ApiTags('chats')
@ApiBearerAuth()
@ApiParam(ORG_PARAM)
@Controller('v1/orgs/:org/chats')
export class ChatsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiCreatedResponse({ type: ChatAnswer })
  async create(@Param('org') org: string, @Body() body: CreateChatDto, @Command() context: CommandContext) {
    const { title, workspaceId, parentChatId } = body;
    const outcome = await this.commands.execute<CreateChatCommand, ChatOutcome>(
      new CreateChatCommand(
        org,
        { title, workspaceId: workspaceId?.toLowerCase(), parentChatId: parentChatId?.toLowerCase() },
        context,
      ),
    );
    return CommandResponse.created(outcome.position, { chat: chatView(outcome) });
  }

  /** Renaming to the current title answers 200 and appends nothing (after the same checks). */
  @Patch(':chatId')
  @ApiOkResponse({ type: ChatAnswer })
  async rename(
    @Param('org') org: string,
    @Param('chatId', UuidParamPipe) chatId: string,
    @Body() body: RenameChatDto,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.change(org, chatId, { type: 'RenameChat', title: body.title }, context);
    return new CommandResponse(outcome.position, { chat: chatView(outcome) });
  }

  /** Deleting a root takes its sub-chats with it: they are missing (404) from then on. */
  @Delete(':chatId')
  @ApiNoContentResponse()
  async remove(
    @Param('org') org: string,
    @Param('chatId', UuidParamPipe) chatId: string,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.change(org, chatId, { type: 'DeleteChat' }, context);
    return new CommandResponse(outcome.position, undefined);
  }

  @Post(':chatId/messages')
  @ApiCreatedResponse({ type: PostedMessageAnswer })
  async post(
    @Param('org') org: string,
    @Param('chatId', UuidParamPipe) chatId: string,
    @Body() body: PostMessageDto,
    @Command() context: CommandContext,
  ) {
    const { message, position } = await this.commands.execute<PostChatMessageCommand, PostedMessage>(
      new PostChatMessageCommand(org, chatId, body.body, context),
    );
    const { messageId, chatId: id, authorId } = message;
    return CommandResponse.created(position, {
      message: { id: messageId, chatId: id, authorId, body: message.body },
    });
  }

  /**
   * Answers what actually changed, users before groups, each by id. An entry
   * already as asked is left out; so an empty or no-op change answers
   * `changes: []` and the chat's current position, appending nothing.
   */
  @Patch(':chatId/acl')
  @ApiOkResponse({ type: ChangedAclAnswer })
  async changeAcl(
    @Param('org') org: string,
    @Param('chatId', UuidParamPipe) chatId: string,
    // Typed as the DTO, which the global ValidationPipe validates; AclChangePipe then checks the entries.
    @Body(AclChangePipe) change: ChangeChatAclDto,
    @Command() context: CommandContext,
  ) {
    const { users = {}, groups = {} } = change;
    const outcome = await this.change(
      org,
      chatId,
      { type: 'ChangeChatAcl', change: { users, groups } },
      context,
    );
    const changes = outcome.events.flatMap((event): AclChangeView[] => {
      if (event.type === 'ChatShared') {
        const { subject, role, previousRole } = event.data;
        return [{ ...subject, role, previousRole }];
      }
      if (event.type === 'ChatUnshared') {
        const { subject, previousRole } = event.data;
        return [{ ...subject, role: null, previousRole }];
      }
      return [];
    });
    return new CommandResponse(outcome.position, { changes });
  }

  private change(org: string, chatId: string, change: ChatChange, context: CommandContext) {
    return this.commands.execute<ChangeChatCommand, ChatOutcome>(
      new ChangeChatCommand(org, chatId, change, context),
    );
  }
}

/** A sub-chat's owner is its root's (DESIGN.md §5 Chat); `createdById` names who created it. */
function chatView({ state, treeOwnerId }: ChatOutcome): ChatView {
  if (state.status !== 'active') throw new Error('a chat command answered with no chat');
  const { chatId, title, ownerId: createdById, workspaceId, parentChatId, rootChatId } = state;
  return { id: chatId, title, ownerId: treeOwnerId, createdById, workspaceId, parentChatId, rootChatId };
}
