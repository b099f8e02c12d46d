import { randomUUID } from 'node:crypto';
import {
  type AggregateStore,
  type CommandContext,
  type CommandOutcome,
  executeCommand,
} from '../../command-runtime/index.js';
import {
  type ChangeChatAcl,
  type ChatCommand,
  type CreateChat,
  type DeleteChat,
  type RenameChat,
} from '../../domain/chat/chat.commands.js';
import { chatDecider } from '../../domain/chat/chat.decider.js';
import { type ChatEvent } from '../../domain/chat/chat.events.js';
import { type ChatState, isRootChat } from '../../domain/chat/chat.state.js';
import { streams } from '../../domain/streams.js';
import { type OrgResolver } from '../organizations/org-resolver.js';
import { type ChatFacts, type ChatFactsLoader } from './chat-facts.loader.js';

/**
 * A chat command's outcome, with the owner of the chat's tree: what the
 * answer shows as `ownerId` (DESIGN.md §5: a sub-chat's owner is its
 * root's, whose ownership grants everything on the tree). The chat's own
 * `ownerId` is its creator.
 */
export interface ChatOutcome extends CommandOutcome<ChatEvent, ChatState> {
  readonly treeOwnerId: string;
}

/**
 * The root's owner, from the root the last attempt decided on (the chat
 * itself on a root). No event changes a chat's owner, so it is the owner now.
 */
function treeOwnerOf(outcome: CommandOutcome<ChatEvent, ChatState>, root: ChatState | null): ChatOutcome {
  const { state } = outcome;
  const tree = state.status !== 'absent' && isRootChat(state) ? state : root;
  if (!tree || tree.status === 'absent') throw new Error('a chat command succeeded without its root');
  return { ...outcome, treeOwnerId: tree.ownerId };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A command on an existing chat as a route states it; the handler adds the actor, the org and the facts. */
export type ChatChange = DistributiveOmit<
  RenameChat | ChangeChatAcl | DeleteChat,
  'actorId' | 'org' | keyof ChatFacts
>;

export class CreateChatCommand {
  constructor(
    /** `{org}`: the organization's id or slug. */
    readonly org: string,
    readonly request: Pick<CreateChat, 'title' | 'workspaceId' | 'parentChatId'>,
    readonly context: CommandContext,
  ) {}
}

/**
 * Creates a chat under a new id (DESIGN.md §5 Chat). Its workspace is loaded
 * under this org's stream names, so another org's workspace id loads as
 * absent and the decider answers `CHAT.UNKNOWN_WORKSPACE` (400), never
 * confirming it exists; a parent from another org is `CHAT.UNKNOWN_PARENT`
 * alike. A sub-chat's workspace is its parent's root's; a `workspaceId`
 * sent with a parent is not loaded, the decider refuses it (400).
 */
export class CreateChatHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
    private readonly facts: ChatFactsLoader,
  ) {}

  async execute({ org, request, context }: CreateChatCommand): Promise<ChatOutcome> {
    const orgId = await this.orgs.orgIdOf(org);
    const chatId = randomUUID();
    const { workspaceId, parentChatId } = request;
    let root: ChatState | null = null;
    const outcome = await executeCommand(this.aggregates, {
      decider: chatDecider,
      streamName: streams.chat(orgId, chatId),
      command: async (): Promise<CreateChat> => {
        const [activeOrg, placement] = await Promise.all([
          this.orgs.activeOrgFor(orgId, context.actorId),
          this.placement(orgId, workspaceId, parentChatId),
        ]);
        root = placement.parent?.root ?? null;
        return {
          type: 'CreateChat',
          actorId: context.actorId,
          org: activeOrg,
          chatId,
          ...request,
          ...placement,
        };
      },
      context,
      orgId,
    });
    return treeOwnerOf(outcome, root);
  }

  /** The parent with its tree, and the workspace: the parent root's, or the one named. */
  private async placement(
    orgId: string,
    workspaceId: string | undefined,
    parentChatId: string | undefined,
  ): Promise<Pick<CreateChat, 'workspace' | 'parent'>> {
    if (parentChatId !== undefined) {
      const { state } = await this.facts.chat(orgId, parentChatId);
      const { workspace, ...tree } = await this.facts.factsFor(orgId, state);
      return { workspace, parent: { chat: state, ...tree } };
    }
    const workspace = workspaceId === undefined ? null : await this.facts.workspace(orgId, workspaceId);
    return { workspace, parent: null };
  }
}

export class ChangeChatCommand {
  constructor(
    /** `{org}`: the organization's id or slug. */
    readonly org: string,
    readonly chatId: string,
    readonly change: ChatChange,
    readonly context: CommandContext,
  ) {}
}

/**
 * Renaming, ACL changes and deletion: decided on the chat's stream with the
 * expected revision it was loaded at. The org and the facts are loaded again
 * on every attempt, so a retry after a concurrent change decides on the
 * present, not on what the first attempt saw.
 *
 * Left out on purpose: the org, groups and workspace are other streams, so a
 * change racing, say, a removal from the org by milliseconds is decided on
 * the state just before it, as it would have been a moment earlier.
 */
export class ChangeChatHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
    private readonly facts: ChatFactsLoader,
  ) {}

  async execute({ org, chatId, change, context }: ChangeChatCommand): Promise<ChatOutcome> {
    const orgId = await this.orgs.orgIdOf(org);
    const groupIds = change.type === 'ChangeChatAcl' ? Object.keys(change.change.groups) : [];
    let root: ChatState | null = null;
    const outcome = await executeCommand(this.aggregates, {
      decider: chatDecider,
      streamName: streams.chat(orgId, chatId),
      command: async (state): Promise<ChatCommand> => {
        const [activeOrg, facts] = await Promise.all([
          this.orgs.activeOrgFor(orgId, context.actorId),
          this.facts.factsFor(orgId, state, groupIds),
        ]);
        root = facts.root;
        return { ...change, actorId: context.actorId, org: activeOrg, ...facts };
      },
      context,
      orgId,
    });
    return treeOwnerOf(outcome, root);
  }
}
