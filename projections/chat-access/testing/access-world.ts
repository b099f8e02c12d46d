import { randomUUID } from 'node:crypto';
import { type EventRef } from '../../../libs/event-store/index.js';
import { eventRefFor } from '../../../libs/event-store/testing/event-refs.js';
import { type Permission } from '../../../libs/authz/policy.js';
import { decideAccess } from '../../../libs/domain/chat/chat-access.js';
import { type ChatCommand, type ChatTree } from '../../../libs/domain/chat/chat.commands.js';
import { chatDecider } from '../../../libs/domain/chat/chat.decider.js';
import { type ChatState, type ExistingChat, isRootChat } from '../../../libs/domain/chat/chat.state.js';
import { groupDecider } from '../../../libs/domain/group/group.decider.js';
import { type GroupCommand } from '../../../libs/domain/group/group.commands.js';
import { type GroupState } from '../../../libs/domain/group/group.state.js';
import { type Decider, type DomainEvent, DomainError } from '../../../libs/domain/kernel/index.js';
import { type OrganizationCommand } from '../../../libs/domain/organization/organization.commands.js';
import { organizationDecider } from '../../../libs/domain/organization/organization.decider.js';
import {
  type ActiveOrganization,
  type OrganizationState,
} from '../../../libs/domain/organization/organization.state.js';
import { streams } from '../../../libs/domain/streams.js';
import { type WorkspaceCommand } from '../../../libs/domain/workspace/workspace.commands.js';
import { workspaceDecider } from '../../../libs/domain/workspace/workspace.decider.js';
import { type WorkspaceState } from '../../../libs/domain/workspace/workspace.state.js';

/** An event as the log would hold it: its stream and the domain event. */
export interface LoggedEvent {
  readonly stream: string;
  readonly event: DomainEvent;
}

/** What a user may do on a chat, as the query side stores it: no entry is no access. */
export interface ExpectedAccess {
  readonly permissions: Permission[];
  readonly writeBlocked: boolean;
}

type WithoutOrg<C> = C extends unknown ? Omit<C, 'org'> : never;
type ChatCommandInput =
  WithoutOrg<ChatCommand> extends infer C
    ? C extends unknown
      ? Omit<C, 'workspace' | 'root' | 'ancestors' | 'groups' | 'parent'>
      : never
    : never;

/**
 * Test support (imported by tests only): one organization driven by commands
 * through the real deciders, so only events the domain allows are produced,
 * and an oracle that is independent of the projection: the states folded by
 * the deciders' own `evolve`, the command side's loader (`chatAccessFacts`)
 * and libs/authz. Each command method returns false when the decider refuses
 * the command (and then appends nothing), true otherwise.
 */
export class AccessWorld {
  readonly orgId = randomUUID();
  /** Every event accepted so far, in log order. */
  readonly log: LoggedEvent[] = [];
  private org: OrganizationState = organizationDecider.initialState;
  private readonly groups = new Map<string, GroupState>();
  private readonly workspaces = new Map<string, WorkspaceState>();
  private readonly chats = new Map<string, ChatState>();
  private sequence = 0;

  get activeOrg(): ActiveOrganization {
    if (this.org.status !== 'active') throw new Error('the organization does not exist yet');
    return this.org;
  }

  /** The chats created so far, deleted ones included. */
  get chatIds(): string[] {
    return [...this.chats.keys()];
  }

  organization(command: OrganizationCommand): boolean {
    return this.run(organizationDecider, this.org, command, streams.organization(this.orgId), (state) => {
      this.org = state;
    });
  }

  group(groupId: string, command: WithoutOrg<GroupCommand>): boolean {
    if (this.org.status !== 'active') return false;
    const state = this.groups.get(groupId) ?? groupDecider.initialState;
    const full = { ...command, org: this.org } as GroupCommand;
    return this.run(groupDecider, state, full, streams.group(this.orgId, groupId), (next) =>
      this.groups.set(groupId, next),
    );
  }

  workspace(workspaceId: string, command: WithoutOrg<WorkspaceCommand>): boolean {
    if (this.org.status !== 'active') return false;
    const state = this.workspaces.get(workspaceId) ?? workspaceDecider.initialState;
    const full = { ...command, org: this.org } as WorkspaceCommand;
    return this.run(workspaceDecider, state, full, streams.workspace(this.orgId, workspaceId), (next) =>
      this.workspaces.set(workspaceId, next),
    );
  }

  /** Any chat command; the states its handler would load (tree, workspace, groups) are added here. */
  chat(chatId: string, command: ChatCommandInput): boolean {
    if (this.org.status !== 'active') return false;
    const state = this.chats.get(chatId) ?? chatDecider.initialState;
    let full: ChatCommand;
    if (command.type === 'CreateChat') {
      const parentState = command.parentChatId ? this.chats.get(command.parentChatId) : undefined;
      const parent =
        command.parentChatId === undefined
          ? null
          : { chat: parentState ?? chatDecider.initialState, ...this.treeOf(parentState) };
      const parentRoot = parent?.chat.status === 'active' ? (parent.root ?? parent.chat) : null;
      const workspaceId =
        command.workspaceId ?? (parentRoot && parentRoot.status !== 'absent' ? parentRoot.workspaceId : null);
      full = { ...command, org: this.org, parent, workspace: this.workspaceState(workspaceId) };
    } else {
      const tree = this.treeOf(state);
      const root = state.status === 'absent' ? null : isRootChat(state) ? state : tree.root;
      const workspaceId = root && root.status !== 'absent' ? root.workspaceId : null;
      full = {
        ...command,
        org: this.org,
        ...tree,
        workspace: this.workspaceState(workspaceId),
      } as ChatCommand;
    }
    return this.run(chatDecider, state, full, streams.chat(this.orgId, chatId), (next) =>
      this.chats.set(chatId, next),
    );
  }

  /**
   * What `userId` may do on `chatId` now: libs/authz on the command side's
   * facts. Null when nothing, as the projection stores no row then.
   */
  expected(userId: string, chatId: string): ExpectedAccess | null {
    const chat = this.chats.get(chatId);
    if (!chat || chat.status === 'absent') return null;
    const { root, ancestors } = this.treeOf(chat);
    const rootState = isRootChat(chat) ? chat : (root as ExistingChat);
    const decision = decideAccess({
      userId,
      org: this.activeOrg,
      chat,
      root: rootState,
      ancestors: ancestors as ExistingChat[],
      workspace: this.workspaceState(rootState.workspaceId),
      groups: Object.fromEntries(this.groups),
    });
    if (decision.permissions.length === 0) return null;
    return { permissions: decision.permissions, writeBlocked: decision.writeBlocked !== null };
  }

  private workspaceState(workspaceId: string | null | undefined): WorkspaceState | null {
    if (!workspaceId) return null;
    return this.workspaces.get(workspaceId) ?? workspaceDecider.initialState;
  }

  /** The root and the chats strictly between `chat` and its root, parent first. */
  private treeOf(chat: ChatState | undefined): ChatTree {
    const groups = Object.fromEntries(this.groups);
    if (!chat || chat.status === 'absent' || isRootChat(chat)) return { root: null, ancestors: [], groups };
    const ancestors: ChatState[] = [];
    let parentId: string | null = chat.parentChatId;
    while (parentId !== null && parentId !== chat.rootChatId) {
      const parent: ChatState | undefined = this.chats.get(parentId);
      if (!parent || parent.status === 'absent') break;
      ancestors.push(parent);
      parentId = parent.parentChatId;
    }
    return { root: this.chats.get(chat.rootChatId) ?? null, ancestors, groups };
  }

  private run<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    state: S,
    command: C,
    stream: string,
    save: (state: S) => void,
  ): boolean {
    let events: E[];
    try {
      events = decider.decide(command, state);
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
    let next = state;
    for (const event of events) {
      next = decider.evolve(next, { ...event, ref: this.nextRef() });
      this.log.push({ stream, event });
    }
    save(next);
    return true;
  }

  private nextRef(): EventRef {
    this.sequence += 1;
    return eventRefFor(this.sequence);
  }
}

/** Appends the log's events from `from` on, one call per run of events on the same stream. */
export async function appendLog(
  harness: {
    append(
      stream: string,
      events: ReadonlyArray<{ type: string; data: object }>,
      orgId?: string,
    ): Promise<unknown>;
  },
  orgId: string,
  log: readonly LoggedEvent[],
  from = 0,
): Promise<void> {
  let start = from;
  while (start < log.length) {
    const stream = log[start]!.stream;
    let end = start + 1;
    while (end < log.length && log[end]!.stream === stream) end += 1;
    await harness.append(
      stream,
      log.slice(start, end).map(({ event }) => ({ type: event.type, data: event.data })),
      orgId,
    );
    start = end;
  }
}
