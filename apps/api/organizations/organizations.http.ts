import { type Provider, type Type } from '@nestjs/common';
import {
  ChangeOrganizationCommand,
  ChangeOrganizationHandler,
  CreateOrganizationCommand,
  CreateOrganizationHandler,
  OrgResolver,
  SetOrgMemberRoleCommand,
  SetOrgMemberRoleHandler,
} from '../../../libs/application/index.js';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { applicationProvider, commandHandlerProviders } from '../http/application-providers.js';
import { OrganizationsController } from './organizations.controller.js';

/** The organizations routes: controllers, and their command handlers and services. */
export const ORGANIZATIONS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [OrganizationsController],
  providers: [
    applicationProvider(OrgResolver, [AggregateStore]),
    ...commandHandlerProviders(CreateOrganizationCommand, CreateOrganizationHandler, [AggregateStore]),
    ...commandHandlerProviders(SetOrgMemberRoleCommand, SetOrgMemberRoleHandler, [
      AggregateStore,
      OrgResolver,
    ]),
    ...commandHandlerProviders(ChangeOrganizationCommand, ChangeOrganizationHandler, [
      AggregateStore,
      OrgResolver,
    ]),
  ],
};
