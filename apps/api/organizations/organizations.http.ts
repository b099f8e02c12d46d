import { type Provider, type Type } from '@nestjs/common';
import { OrgResolver } from './org-resolver.js';

/** The organizations routes: controllers, and their command handlers and services. */
export const ORGANIZATIONS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [],
  providers: [OrgResolver],
};
