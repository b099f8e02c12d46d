import { type Provider, type Type } from '@nestjs/common';
import {
  ChangeWorkspaceCommand,
  ChangeWorkspaceHandler,
  CreateWorkspaceCommand,
  CreateWorkspaceHandler,
  OrgResolver,
  WorkspaceResolver,
} from '../../../libs/application/index.js';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { applicationProvider, commandHandlerProviders } from '../http/application-providers.js';
import { WorkspacesController } from './workspaces.controller.js';

/** The workspaces routes: controllers, and their command handlers and services. */
export const WORKSPACES_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [WorkspacesController],
  providers: [
    applicationProvider(WorkspaceResolver, [AggregateStore]),
    ...commandHandlerProviders(CreateWorkspaceCommand, CreateWorkspaceHandler, [AggregateStore, OrgResolver]),
    ...commandHandlerProviders(ChangeWorkspaceCommand, ChangeWorkspaceHandler, [
      AggregateStore,
      OrgResolver,
      WorkspaceResolver,
    ]),
  ],
};
