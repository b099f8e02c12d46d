import { type Provider, type Type } from '@nestjs/common';

/** The workspaces routes: controllers, and their command handlers and services. */
export const WORKSPACES_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [],
  providers: [],
};
