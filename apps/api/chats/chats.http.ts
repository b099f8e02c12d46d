import { type Provider, type Type } from '@nestjs/common';
import {
  ChangeChatCommand,
  ChangeChatHandler,
  ChatFactsLoader,
  CreateChatCommand,
  CreateChatHandler,
  OrgResolver,
  PostChatMessageCommand,
  PostChatMessageHandler,
} from '../../../libs/application/index.js';
import { AggregateStore } from '../../../libs/command-runtime/index.js';
import { applicationProvider, commandHandlerProviders } from '../http/application-providers.js';
import { ChatsController } from './chats.controller.js';

const CHAT_HANDLER_DEPENDENCIES = [AggregateStore, OrgResolver, ChatFactsLoader] as const;

/** The chats routes: controllers, and their command handlers and services. */
export const CHATS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [ChatsController],
  providers: [
    applicationProvider(ChatFactsLoader, [AggregateStore]),
    ...commandHandlerProviders(CreateChatCommand, CreateChatHandler, CHAT_HANDLER_DEPENDENCIES),
    ...commandHandlerProviders(ChangeChatCommand, ChangeChatHandler, CHAT_HANDLER_DEPENDENCIES),
    ...commandHandlerProviders(PostChatMessageCommand, PostChatMessageHandler, CHAT_HANDLER_DEPENDENCIES),
  ],
};
