import { type Provider, type Type } from '@nestjs/common';
import { GROUP_COMMAND_HANDLERS } from './group.handlers.js';
import { GroupsController } from './groups.controller.js';
import { ORGANIZATION_COMMAND_HANDLERS } from './organization.handlers.js';
import { OrganizationsController } from './organizations.controller.js';
import { OrgResolver } from './org-resolver.js';

/** The organizations routes: controllers, and their command handlers and services. */
export const ORGANIZATIONS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [OrganizationsController, GroupsController],
  providers: [OrgResolver, ...ORGANIZATION_COMMAND_HANDLERS, ...GROUP_COMMAND_HANDLERS],
};
