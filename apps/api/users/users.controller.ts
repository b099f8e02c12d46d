import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type CommandContext } from '../../../libs/command-runtime/index.js';
import { OPERATOR_ACTOR_ID } from '../../../libs/domain/user/user.commands.js';
import { type UserState } from '../../../libs/domain/user/user.state.js';
import { CurrentUserId, OperatorOnly } from '../auth/auth.decorators.js';
import { Command } from '../http/command-context.decorator.js';
import { CommandResponse } from '../http/command-response.js';
import { UuidParamPipe } from '../http/uuid-param.pipe.js';
import {
  ChangeUserCommand,
  IssueTokenCommand,
  RegisterUserCommand,
  type RegisterUserHandler,
  type IssueTokenHandler,
  type ChangeUserHandler,
} from '../../../libs/application/index.js';
import {
  IssuedTokenView,
  IssueTokenDto,
  RegisteredUserView,
  RegisterUserDto,
  UserView,
} from './users.dto.js';

/** User administration (operator) and a user's own tokens (DESIGN.md §4, §10). */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
export class UsersController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @OperatorOnly()
  @ApiCreatedResponse({ type: RegisteredUserView })
  async register(@Body() body: RegisterUserDto, @Command() context: CommandContext) {
    const { outcome, token } = await this.commands.execute<
      RegisterUserCommand,
      Awaited<ReturnType<RegisterUserHandler['execute']>>
    >(new RegisterUserCommand(body.email, body.displayName, context));
    return CommandResponse.created(outcome.position, { user: userView(outcome.state), token }, ['token']);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @OperatorOnly()
  @ApiOkResponse({ type: UserView })
  suspend(@Param('id', UuidParamPipe) id: string, @Command() context: CommandContext) {
    return this.change({ type: 'SuspendUser', actorId: OPERATOR_ACTOR_ID, userId: id }, context);
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  @OperatorOnly()
  @ApiOkResponse({ type: UserView })
  reactivate(@Param('id', UuidParamPipe) id: string, @Command() context: CommandContext) {
    return this.change({ type: 'ReactivateUser', actorId: OPERATOR_ACTOR_ID, userId: id }, context);
  }

  @Post('me/tokens')
  @ApiCreatedResponse({ type: IssuedTokenView })
  async issueToken(
    @Body() body: IssueTokenDto,
    @CurrentUserId() userId: string,
    @Command() context: CommandContext,
  ) {
    const issued = await this.commands.execute<
      IssueTokenCommand,
      Awaited<ReturnType<IssueTokenHandler['execute']>>
    >(new IssueTokenCommand(userId, body.name, context));
    return CommandResponse.created(
      issued.outcome.position,
      { id: issued.tokenId, name: issued.name, prefix: issued.prefix, token: issued.token },
      ['token'],
    );
  }

  @Delete('me/tokens/:tokenId')
  async revokeToken(
    @Param('tokenId', UuidParamPipe) tokenId: string,
    @CurrentUserId() userId: string,
    @Command() context: CommandContext,
  ) {
    const outcome = await this.commands.execute<
      ChangeUserCommand,
      Awaited<ReturnType<ChangeUserHandler['execute']>>
    >(new ChangeUserCommand({ type: 'RevokeApiToken', actorId: userId, userId, tokenId }, context));
    return new CommandResponse(outcome.position, undefined);
  }

  private async change(command: ChangeUserCommand['command'], context: CommandContext) {
    const outcome = await this.commands.execute<
      ChangeUserCommand,
      Awaited<ReturnType<ChangeUserHandler['execute']>>
    >(new ChangeUserCommand(command, context));
    return new CommandResponse(outcome.position, userView(outcome.state));
  }
}

function userView(state: UserState): UserView {
  if (state.status === 'absent') throw new Error('a user command answered with no user');
  return { id: state.userId, email: state.email, displayName: state.displayName, status: state.status };
}
