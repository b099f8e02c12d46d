import { type Provider, type Type } from '@nestjs/common';
import {
  ChangeGroupCommand,
  ChangeGroupHandler,
  CreateGroupCommand,
  CreateGroupHandler,
  OrgResolver,
} from '../../../libs/application/index.js';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { commandHandlerProviders } from '../http/application-providers.js';
import { GroupsController } from './groups.controller.js';

/** The groups routes (write side; the list is an organization query): controllers and command handlers. */
export const GROUPS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [GroupsController],
  providers: [
    ...commandHandlerProviders(CreateGroupCommand, CreateGroupHandler, [AggregateStore, OrgResolver]),
    ...commandHandlerProviders(ChangeGroupCommand, ChangeGroupHandler, [AggregateStore, OrgResolver]),
  ],
};
