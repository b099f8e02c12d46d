import { type Provider, type Type } from '@nestjs/common';

/** The chats routes: controllers, and their command handlers and services. */
export const CHATS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [],
  providers: [],
};
