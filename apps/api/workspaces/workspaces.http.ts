import { type Provider, type Type } from '@nestjs/common';
import { WORKSPACE_COMMAND_HANDLERS } from './workspace.handlers.js';
import { WorkspaceResolver } from './workspace-resolver.js';
import { WorkspacesController } from './workspaces.controller.js';

/** The workspaces routes: controllers, and their command handlers and services. */
export const WORKSPACES_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [WorkspacesController],
  providers: [WorkspaceResolver, ...WORKSPACE_COMMAND_HANDLERS],
};
