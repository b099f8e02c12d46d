import { randomUUID } from 'node:crypto';
import { type AggregateStore, type CommandContext } from '../../command-runtime/index.js';
import { chatDecider } from '../../domain/chat/chat.decider.js';
import { type ChatMessagePosted } from '../../domain/chat/chat.events.js';
import { streams } from '../../domain/streams.js';
import { ANY, type Position } from '../../event-store/index.js';
import { type OrgResolver } from '../organizations/org-resolver.js';
import { type ChatFactsLoader } from './chat-facts.loader.js';

export class PostChatMessageCommand {
  constructor(
    /** `{org}`: the organization's id or slug. */
    readonly org: string,
    readonly chatId: string,
    readonly body: string,
    readonly context: CommandContext,
  ) {}
}

export interface PostedMessage {
  readonly message: ChatMessagePosted['data'];
  readonly position: Position;
}

/**
 * Posting (DESIGN.md §5: O(1) however long the chat is). Decided on the
 * CHAT's stream (metadata and ACL, which never grows with messages) and its
 * facts; the message goes to the chat's messages stream with expected
 * revision `any`, so that stream is never read: messages do not depend on
 * each other, and nothing about them is decided from earlier ones.
 *
 * Left out on purpose (libs/domain/chat/chat.commands.ts `PostChatMessage`):
 * the post is not serialized with the chat's stream, so a message racing a
 * deletion or a revocation by milliseconds is accepted, as it would have
 * been a moment earlier. Hence no retry loop either: with `any` there is no
 * conflict to retry.
 */
export class PostChatMessageHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
    private readonly facts: ChatFactsLoader,
  ) {}

  async execute({ org, chatId, body, context }: PostChatMessageCommand): Promise<PostedMessage> {
    const orgId = await this.orgs.orgIdOf(org);
    const [activeOrg, chat] = await Promise.all([
      this.orgs.activeOrgFor(orgId, context.actorId),
      this.facts.chat(orgId, chatId),
    ]);
    const events = chatDecider.decide(
      {
        type: 'PostChatMessage',
        actorId: context.actorId,
        org: activeOrg,
        ...(await this.facts.factsFor(orgId, chat.state)),
        messageId: randomUUID(),
        body,
      },
      chat.state,
    );
    const posted = events.find((event): event is ChatMessagePosted => event.type === 'ChatMessagePosted');
    if (!posted || events.length !== 1) throw new Error('posting decided something other than one message');
    const { position } = await this.aggregates.eventStore.append(
      streams.chatMessages(orgId, chatId),
      this.aggregates.envelope(events, context, orgId),
      ANY,
    );
    return { message: posted.data, position };
  }
}
