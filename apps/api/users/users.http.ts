import { type Provider, type Type } from '@nestjs/common';
import {
  ChangeUserCommand,
  ChangeUserHandler,
  IssueTokenCommand,
  IssueTokenHandler,
  RegisterUserCommand,
  RegisterUserHandler,
} from '../../../libs/application/index.js';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { commandHandlerProviders } from '../http/application-providers.js';
import { UsersController } from './users.controller.js';

/** The users routes (write side): controllers and their command handlers. */
export const USERS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [UsersController],
  providers: [
    ...commandHandlerProviders(RegisterUserCommand, RegisterUserHandler, [AggregateStore]),
    ...commandHandlerProviders(ChangeUserCommand, ChangeUserHandler, [AggregateStore]),
    ...commandHandlerProviders(IssueTokenCommand, IssueTokenHandler, [AggregateStore]),
  ],
};
