import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { isUuid } from '../../../libs/domain/kernel/index.js';
import { listCallerVisibleChats } from '../../../projections/chat-access/index.js';
import { getChat, getChatAcl } from '../../../projections/chats/index.js';
import { listMessages } from '../../../projections/messages/index.js';
import { type PageRequest } from '../../../projections/page.js';
import { PageParams, parsePageRequest, toListAnswer } from '../http/pagination.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { UuidParamPipe } from '../http/uuid-param.pipe.js';
import { ORG_PARAM } from '../organizations/organizations.dto.js';
import {
  CurrentReadScope,
  firstRead,
  ReadsModels,
  type RequestReadScope,
} from '../read-side/request-read-scope.js';

/**
 * GET …/chats: one page of the chats the caller can read (`?workspaceId=`,
 * `?limit=`, `?cursor=`), read in the round trip that opens the request's
 * read scope (also what benchmark B5 measures).
 */
export const visibleChatsPage = firstRead((query) => {
  const page = parsePageRequest(query.limit, query.cursor);
  const workspaceId = parseWorkspaceFilter(query.workspaceId);
  return (client) => listCallerVisibleChats(client, { workspaceId, page });
});

/**
 * Chats, the read side (DESIGN.md §5, §10), authorized against the
 * chat-access projection: the effective permissions libs/authz computed for
 * (caller, chat) when the facts last changed. Every route here needs `read`;
 * without it (a missing, deleted or other tenant's chat alike) the answer is
 * the one 404 body. The caller's access to `:chatId` is read with the
 * authentication, in the round trip that opens the request's read scope
 * (request-read-scope.ts). A GET of a chat and the list read nothing else,
 * and make that one round trip in all; the other routes make one more.
 */
@ApiTags('chats')
@ApiBearerAuth()
@ApiParam(ORG_PARAM)
@ReadsModels()
@Controller('v1/orgs/:org/chats')
export class ChatsQueriesController {
  /**
   * Chats the caller can read, oldest first, each with its owner and creator
   * as GET …/chats/{chatId} shows them, and the caller's permissions.
   */
  @Get()
  @ApiQuery({ name: 'workspaceId', required: false })
  @ApiOkResponse({
    description:
      '`{ items: [{ id, title, owner: { id, displayName }, createdBy: { id, displayName }, rootChatId, parentChatId, workspaceId, createdAt, permissions }], nextCursor }`',
  })
  @ReadsModels({ firstRead: visibleChatsPage })
  list(@CurrentReadScope() scope: RequestReadScope) {
    // Read in the scope's one round trip (@ReadsModels above), as the caller, in the org the path names.
    return toListAnswer(scope.answer(visibleChatsPage));
  }

  /**
   * The chat with its owner (the root's owner, on a sub-chat too: DESIGN.md
   * §5) and its creator, by display name (never the email), and the
   * caller's permissions.
   */
  @Get(':chatId')
  @ApiOkResponse({
    description:
      "`{ chat: { id, title, owner: { id, displayName }, createdBy: { id, displayName }, rootChatId, parentChatId, workspaceId, createdAt, permissions, writeBlocked } }`; `owner` is the root's owner, `createdBy` who created this chat",
  })
  @ReadsModels({ answer: 'chat' })
  get(@CurrentReadScope() scope: RequestReadScope, @Param('chatId', UuidParamPipe) _chatId: string) {
    // Read with the caller's access in the scope's one round trip (@ReadsModels above).
    const { chat, access } = scope.readableChatView();
    return { chat: { ...chat, permissions: access.permissions, writeBlocked: access.writeBlocked } };
  }

  /** Oldest first. */
  @Get(':chatId/messages')
  @ApiOkResponse({
    description: '`{ items: [{ id, author: { id, displayName }, body, postedAt }], nextCursor }`',
  })
  async messages(
    @CurrentReadScope() scope: RequestReadScope,
    @Param('chatId', UuidParamPipe) chatId: string,
    @PageParams() page: PageRequest,
  ) {
    return toListAnswer(
      await scope.inOrg(async (client, { orgId }) => {
        scope.readableChat();
        return listMessages(client, orgId, chatId, page);
      }),
    );
  }

  /**
   * The root's ACL (a sub-chat has none of its own: `inheritedFrom` names the
   * root), with display names, group names and member counts, never member
   * lists or emails. While the org has chat sharing disabled the entries are
   * shown with `sharingDisabled: true`: stored, and inert until it is switched on.
   */
  @Get(':chatId/acl')
  @ApiOkResponse({
    description:
      '`{ users: [{ id, displayName, role }], groups: [{ id, name, memberCount, role }], inheritedFrom, sharingDisabled }`',
  })
  async acl(@CurrentReadScope() scope: RequestReadScope, @Param('chatId', UuidParamPipe) chatId: string) {
    return scope.inOrg(async (client, { orgId, settings }) => {
      scope.readableChat();
      const chat = await getChat(client, orgId, chatId);
      if (!chat) throw new ProblemError(notFoundProblem());
      const acl = await getChatAcl(client, orgId, chat.rootChatId);
      return {
        ...acl,
        inheritedFrom: chat.rootChatId === chat.id ? null : chat.rootChatId,
        sharingDisabled: settings.chatSharingDisabled,
      };
    });
  }
}

function parseWorkspaceFilter(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string' && isUuid(value)) return value.toLowerCase();
  throw ProblemError.of(400, 'REQUEST.INVALID', 'workspaceId must be a UUID', [
    { field: 'workspaceId', message: 'must be a UUID' },
  ]);
}
