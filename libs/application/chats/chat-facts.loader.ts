import { AccessFactsError } from '../../authz/access-facts.js';
import { type AggregateStore, type LoadedAggregate } from '../../command-runtime/index.js';
import { type ChatTree } from '../../domain/chat/chat.commands.js';
import { chatDecider } from '../../domain/chat/chat.decider.js';
import { type ChatState, type ExistingChat, isRootChat } from '../../domain/chat/chat.state.js';
import { groupDecider } from '../../domain/group/group.decider.js';
import { type GroupState } from '../../domain/group/group.state.js';
import { streams } from '../../domain/streams.js';
import { workspaceDecider } from '../../domain/workspace/workspace.decider.js';
import { type WorkspaceState } from '../../domain/workspace/workspace.state.js';

/**
 * What a command on an existing chat needs besides the chat's own stream and
 * the org (libs/domain/chat/chat.commands.ts `OnChat`): its tree and the
 * root's workspace.
 */
export interface ChatFacts extends ChatTree {
  readonly workspace: WorkspaceState | null;
}

/** The facts of a chat that does not exist: the decider answers 404 (or 400 for a parent) before reading them. */
const NO_FACTS: ChatFacts = { root: null, ancestors: [], groups: {}, workspace: null };

/**
 * The one place the chat handlers load the facts their decider needs, from
 * the event store only (DESIGN.md §2), all under the org's own stream names:
 * a chat, group or workspace id of another org simply loads as absent.
 *
 * Cost: one stream per chat between the chat and its root, plus the root,
 * its workspace and the groups named in its ACL. None of them grows with the
 * chat's messages, which live in a stream of their own that is never read
 * here (DESIGN.md §5: posting stays O(1) in the chat's length), and each load
 * reads only the events appended since this process last loaded that stream
 * (AggregateStore's state cache), so neither does it grow with the org.
 *
 * Facts that contradict each other (an ancestor or root that is missing, a
 * cycle of parents) are not repaired here: the decider's libs/authz loader
 * throws `AccessFactsError` on them, which the problem filter answers as a
 * logged 500. Deciding anyway could grant through the wrong chat's ACL.
 */
export class ChatFactsLoader {
  constructor(private readonly aggregates: AggregateStore) {}

  chat(orgId: string, chatId: string): Promise<LoadedAggregate<ChatState>> {
    return this.aggregates.load(chatDecider, streams.chat(orgId, chatId));
  }

  async workspace(orgId: string, workspaceId: string): Promise<WorkspaceState> {
    return (await this.aggregates.load(workspaceDecider, streams.workspace(orgId, workspaceId))).state;
  }

  /**
   * The tree of `chat` (root, ancestors parent first, groups) and the root's
   * workspace. `extraGroupIds` are loaded too: the groups an ACL change
   * names, so the decider can tell an org's group from an unknown id.
   */
  async factsFor(orgId: string, chat: ChatState, extraGroupIds: readonly string[] = []): Promise<ChatFacts> {
    if (chat.status === 'absent') return NO_FACTS;
    const [root, ancestors] = await Promise.all([
      isRootChat(chat) ? chat : this.chat(orgId, chat.rootChatId).then(({ state }) => state),
      this.ancestorsOf(orgId, chat),
    ]);
    if (root.status === 'absent') return { ...NO_FACTS, root, ancestors };
    const groupIds = new Set([
      ...[...root.acl.values()].flatMap(({ subject }) => (subject.kind === 'group' ? [subject.id] : [])),
      ...extraGroupIds,
    ]);
    const [workspace, groups] = await Promise.all([
      root.workspaceId === null ? null : this.workspace(orgId, root.workspaceId),
      this.groups(orgId, [...groupIds]),
    ]);
    return { root, ancestors, groups, workspace };
  }

  /** The chats strictly between `chat` and its root, parent first; each load names the next. */
  private async ancestorsOf(orgId: string, chat: ExistingChat): Promise<ChatState[]> {
    const ancestors: ChatState[] = [];
    const seen = new Set([chat.chatId]);
    for (let next = chat.parentChatId; next !== null && next !== chat.rootChatId;) {
      if (seen.has(next)) throw new AccessFactsError(`the parents of chat ${chat.chatId} loop at ${next}`);
      seen.add(next);
      const { state } = await this.chat(orgId, next);
      ancestors.push(state);
      if (state.status === 'absent') break;
      next = state.parentChatId;
    }
    return ancestors;
  }

  private async groups(orgId: string, groupIds: string[]): Promise<Record<string, GroupState>> {
    const loaded = await Promise.all(
      groupIds.map(
        async (groupId) =>
          [groupId, (await this.aggregates.load(groupDecider, streams.group(orgId, groupId))).state] as const,
      ),
    );
    return Object.fromEntries(loaded);
  }
}
