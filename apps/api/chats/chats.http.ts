import { type Provider, type Type } from '@nestjs/common';
import { ChatFactsLoader } from './chat-facts.loader.js';
import { ChangeChatHandler, CreateChatHandler } from './chat.handlers.js';
import { ChatsController } from './chats.controller.js';
import { PostChatMessageHandler } from './post-message.handler.js';

/** The chats routes: controllers, and their command handlers and services. */
export const CHATS_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [ChatsController],
  providers: [ChatFactsLoader, CreateChatHandler, ChangeChatHandler, PostChatMessageHandler],
};
