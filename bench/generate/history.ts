import { createHash } from 'node:crypto';
import { type AclRole, type OrgRole, type WorkspaceRole } from '../../libs/authz/policy.js';
import { AggregateStore, type CommandContext } from '../../libs/command-runtime/index.js';
import { type ChatCommand } from '../../libs/domain/chat/chat.commands.js';
import { chatDecider } from '../../libs/domain/chat/chat.decider.js';
import { type ChatState } from '../../libs/domain/chat/chat.state.js';
import { type GroupCommand } from '../../libs/domain/group/group.commands.js';
import { groupDecider } from '../../libs/domain/group/group.decider.js';
import { type GroupState } from '../../libs/domain/group/group.state.js';
import { type Decider, DomainError, type DomainEvent } from '../../libs/domain/kernel/index.js';
import { type OrganizationCommand } from '../../libs/domain/organization/organization.commands.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import {
  type ActiveOrganization,
  type OrganizationState,
} from '../../libs/domain/organization/organization.state.js';
import {
  reservationDecider,
  type ReservationState,
} from '../../libs/domain/reservation/reservation.decider.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { OPERATOR_ACTOR_ID, type UserCommand } from '../../libs/domain/user/user.commands.js';
import { userDecider } from '../../libs/domain/user/user.decider.js';
import { normalizeEmail } from '../../libs/domain/user/user.email.js';
import { type UserState } from '../../libs/domain/user/user.state.js';
import { type WorkspaceCommand } from '../../libs/domain/workspace/workspace.commands.js';
import { workspaceDecider } from '../../libs/domain/workspace/workspace.decider.js';
import { type WorkspaceState } from '../../libs/domain/workspace/workspace.state.js';
import { ANY, type EventStore, NO_STREAM } from '../../libs/event-store/index.js';
import { Random } from '../support/random.js';
import { LogWriter } from './log-writer.js';

/** The parameters of a generated history (bench/sizes.ts has the presets). */
export interface HistorySizes {
  readonly seed: number;
  readonly users: number;
  /** Organizations besides the largest and the 10-member one. */
  readonly orgs: number;
  readonly largestOrgMembers: number;
  readonly chats: number;
  /** Messages of the one long chat (B9). */
  readonly longChatMessages: number;
  /** The log stops growing once it holds this many events (messages and ACL churn fill it). */
  readonly targetEvents: number;
}

/** What the figures need to find in the generated history. */
export interface HistoryManifest {
  readonly sizes: HistorySizes;
  readonly events: number;
  readonly streams: number;
  /** Users registered, chats created (sub-chats included) and orgs created, as the log holds them. */
  readonly counts: { readonly users: number; readonly chats: number; readonly orgs: number };
  readonly tokens: ReadonlyMap<string, string>;
  readonly largest: OrgManifest;
  readonly small: OrgManifest;
  /** A member of the largest org in 50 of its groups (B5). */
  readonly probeUserId: string;
  /** A chat of the largest org that has `longChatMessages` messages (B9). */
  readonly longChatId: string;
  /** Registered users in no org: B11 adds them to the largest. */
  readonly spareUserIds: readonly string[];
}

export interface OrgManifest {
  readonly orgId: string;
  readonly slug: string;
  readonly ownerId: string;
  /** Members of the org (not owners), oldest first. */
  readonly memberIds: readonly string[];
  /** Live root chats of the org outside archived workspaces: commands on them succeed (B1, B10, B11). */
  readonly writableChatIds: readonly string[];
}

interface Aggregate<State> {
  readonly streamName: string;
  state: State;
  /** Revision of the stream's last event, -1 before the first. */
  revision: number;
}

interface OrgPlan {
  readonly orgId: string;
  readonly slug: string;
  readonly creatorId: string;
  readonly agg: Aggregate<OrganizationState>;
  readonly members: string[];
  readonly roles: Map<string, OrgRole>;
  readonly groups: GroupPlan[];
  readonly groupsById: Map<string, GroupPlan>;
  readonly workspaces: WorkspacePlan[];
  readonly chats: ChatPlan[];
  readonly roots: ChatPlan[];
}

interface GroupPlan {
  readonly groupId: string;
  readonly agg: Aggregate<GroupState>;
  readonly members: Set<string>;
}

interface WorkspacePlan {
  readonly workspaceId: string;
  readonly agg: Aggregate<WorkspaceState>;
  readonly writers: string[];
  archived: boolean;
}

interface ChatPlan {
  readonly chatId: string;
  readonly agg: Aggregate<ChatState>;
  readonly ownerId: string;
  readonly parent: ChatPlan | null;
  readonly root: ChatPlan | null;
  readonly workspace: WorkspacePlan | null;
  readonly aclUsers: Set<string>;
  readonly aclGroups: Set<string>;
  deleted: boolean;
}

const WORKSPACE_WRITER_ROLES: readonly WorkspaceRole[] = ['member', 'member', 'admin', 'viewer'];

/**
 * Generates a seeded, multi-tenant history and appends it through the
 * EventStore port. Every event comes out of the domain's deciders, fed the
 * same facts the command handlers would load, so the log is one the product
 * could have written; a command the deciders refuse (sharing switched off,
 * an archived workspace, a removed member) appends nothing, as it would
 * through the API. The shape follows BENCHMARKS.md: one org holds a third of
 * the data, users belong to several orgs, groups of 1–500, chats with and
 * without workspaces, sub-chats, and churn of shares, unshares, role
 * changes, removals, sharing switches and archives.
 */
export async function generateHistory(
  eventStore: EventStore,
  sizes: HistorySizes,
  onProgress: (eventsPlanned: number) => void = () => undefined,
): Promise<HistoryManifest> {
  const generator = new HistoryGenerator(eventStore, sizes, onProgress);
  return generator.run();
}

class HistoryGenerator {
  private readonly random: Random;
  private readonly writer: LogWriter;
  private readonly aggregates: AggregateStore;
  private clock = Date.parse('2025-01-06T09:00:00.000Z');
  private planned = 0;
  private streamCount = 0;
  private chatsCreated = 0;
  private readonly tokens = new Map<string, string>();
  private readonly userIds: string[] = [];
  private readonly orgs: OrgPlan[] = [];

  constructor(
    eventStore: EventStore,
    private readonly sizes: HistorySizes,
    private readonly onProgress: (eventsPlanned: number) => void,
  ) {
    this.random = new Random(sizes.seed);
    this.writer = new LogWriter(eventStore);
    this.aggregates = new AggregateStore(eventStore, upcasters, () => this.random.uuid());
  }

  async run(): Promise<HistoryManifest> {
    const spares = Math.min(64, Math.floor(this.sizes.users / 10));
    for (let i = 0; i < this.sizes.users; i++) await this.registerUser(i);
    const orgUsers = this.userIds.slice(spares);
    const spareUserIds = this.userIds.slice(0, spares);

    // One org holds a third of the data; the 10-member org is B10's baseline.
    const largest = await this.createOrg('largest', orgUsers, this.sizes.largestOrgMembers, 1 / 3);
    const small = await this.createOrg('small', orgUsers, 10, 0);
    const others: OrgPlan[] = [];
    for (let i = 0; i < this.sizes.orgs; i++) {
      const members = Math.min(orgUsers.length - 1, Math.round(10 + 600 * this.random.next() ** 3));
      others.push(await this.createOrg(`org-${i}`, orgUsers, members, 0));
    }
    const otherChats = this.sizes.chats - Math.round(this.sizes.chats / 3) - 5;
    const otherMembers = others.reduce((sum, org) => sum + org.members.length, 0);

    await this.populateOrg(largest, Math.round(this.sizes.chats / 3));
    await this.populateOrg(small, 5);
    for (const org of others) {
      await this.populateOrg(org, Math.max(1, Math.round((otherChats * org.members.length) / otherMembers)));
    }

    const probeUserId = await this.makeProbe(largest);
    // B9's long chat is kept out of the churn: like the new chat it is
    // compared with, it has no ACL, so the figure isolates the chat's length.
    const longChat = await this.createUnsharedChat(largest);
    await this.postMessages(largest, longChat, this.sizes.longChatMessages);

    // Churn fills the log: a third of it in the largest org.
    const weighted = [largest, largest, ...others, ...others.slice(0, Math.ceil(others.length / 2))];
    while (this.planned < this.sizes.targetEvents) await this.churn(this.random.pick(weighted));
    // The measured orgs end with sharing on, so shares in the figures are decided, not refused.
    for (const org of [largest, small]) await this.enableSharing(org);
    await this.writer.flush();

    return {
      sizes: this.sizes,
      events: this.writer.eventsWritten,
      streams: this.streamCount,
      counts: { users: this.userIds.length, chats: this.chatsCreated + 1, orgs: this.orgs.length },
      tokens: this.tokens,
      largest: this.manifestOf(largest),
      small: this.manifestOf(small),
      probeUserId,
      longChatId: longChat.chatId,
      spareUserIds,
    };
  }

  private async registerUser(i: number): Promise<void> {
    const userId = this.random.uuid();
    const email = `user${i}@bench.example`;
    const plaintext = `${this.random.secret(32)}.${userId}`;
    this.tokens.set(userId, plaintext);
    const emailHash = createHash('sha256').update(normalizeEmail(email)).digest('hex');
    const reservation = this.aggregate<ReservationState>(
      streams.userEmailReservation(emailHash),
      reservationDecider.initialState,
    );
    const context = this.context(OPERATOR_ACTOR_ID);
    await this.execute(reservationDecider, reservation, [], undefined, context, {
      type: 'ReserveSlug',
      slug: emailHash,
      ownerId: userId,
      now: context.now,
      holderExists: false,
    });
    const user = this.aggregate<UserState>(streams.user(userId), userDecider.initialState);
    await this.execute(userDecider, user, [reservation.streamName], undefined, context, {
      type: 'RegisterUser',
      actorId: OPERATOR_ACTOR_ID,
      userId,
      email,
      displayName: `User ${i}`,
      firstToken: {
        tokenId: this.random.uuid(),
        name: 'bench',
        hash: createHash('sha256').update(plaintext, 'utf8').digest('hex'),
        prefix: plaintext.slice(0, 8),
      },
    } satisfies UserCommand);
    this.userIds.push(userId);
  }

  private async createOrg(
    name: string,
    pool: readonly string[],
    size: number,
    _share: number,
  ): Promise<OrgPlan> {
    const orgId = this.random.uuid();
    const slug = `${name}-${orgId.slice(0, 8)}`;
    const members = this.random.sample(pool, size);
    const creatorId = members[0]!;
    const context = this.context(creatorId);
    const reservation = this.aggregate<ReservationState>(
      streams.orgSlugReservation(slug),
      reservationDecider.initialState,
    );
    await this.execute(reservationDecider, reservation, [], undefined, context, {
      type: 'ReserveSlug',
      slug,
      ownerId: orgId,
      now: context.now,
      holderExists: false,
    });
    const org: OrgPlan = {
      orgId,
      slug,
      creatorId,
      agg: this.aggregate<OrganizationState>(streams.organization(orgId), organizationDecider.initialState),
      members: [creatorId],
      roles: new Map([[creatorId, 'owner']]),
      groups: [],
      groupsById: new Map(),
      workspaces: [],
      chats: [],
      roots: [],
    };
    await this.execute(organizationDecider, org.agg, [reservation.streamName], orgId, context, {
      type: 'CreateOrganization',
      actorId: creatorId,
      orgId,
      slug,
      name: `Org ${name}`,
    } satisfies OrganizationCommand);
    // Members join in batches of one append each: the decisions are the
    // deciders' one by one, the writes are bulk.
    const joining = members.slice(1);
    for (let start = 0; start < joining.length; start += 200) {
      const batch = joining.slice(start, start + 200);
      const commands = batch.map((userId): OrganizationCommand => {
        const role = this.orgRoleForNewMember(org);
        return { type: 'SetOrgMemberRole', actorId: creatorId, userId, role, userIsRegistered: true };
      });
      await this.executeMany(
        organizationDecider,
        org.agg,
        batch.map((userId) => streams.user(userId)),
        orgId,
        this.context(creatorId),
        commands,
        (command) => {
          if (command.type !== 'SetOrgMemberRole') return;
          org.members.push(command.userId);
          org.roles.set(command.userId, command.role);
        },
      );
    }
    this.orgs.push(org);
    return org;
  }

  private orgRoleForNewMember(org: OrgPlan): OrgRole {
    const r = this.random.next();
    if (r < 0.001 && org.members.length > 2) return 'owner';
    if (r < 0.006) return 'admin';
    if (r < 0.03) return 'auditor';
    return 'member';
  }

  /** Groups, workspaces, chats and their first shares. */
  private async populateOrg(org: OrgPlan, chats: number): Promise<void> {
    const size = org.members.length;
    const groupCount = Math.max(1, Math.round(size / 25));
    for (let g = 0; g < groupCount; g++) {
      const r = this.random.next();
      const groupSize = r < 0.03 ? 500 : r < 0.2 ? this.random.int(30, 200) : this.random.int(1, 30);
      await this.createGroup(org, Math.min(size, groupSize));
    }
    const workspaceCount = Math.max(1, Math.round(size / 60));
    for (let w = 0; w < workspaceCount; w++) await this.createWorkspace(org, w);
    for (let c = 0; c < chats; c++) await this.createChat(org);
  }

  private async createGroup(org: OrgPlan, size: number): Promise<GroupPlan> {
    const groupId = this.random.uuid();
    const group: GroupPlan = {
      groupId,
      agg: this.aggregate<GroupState>(streams.group(org.orgId, groupId), groupDecider.initialState),
      members: new Set(),
    };
    const context = this.context(org.creatorId);
    const orgState = this.active(org);
    const members = this.random.sample(org.members, size);
    await this.executeMany(
      groupDecider,
      group.agg,
      [org.agg.streamName],
      org.orgId,
      context,
      [
        {
          type: 'CreateGroup',
          actorId: org.creatorId,
          org: orgState,
          groupId,
          name: `group ${groupId.slice(0, 6)}`,
        } satisfies GroupCommand as GroupCommand,
        ...members.map((userId): GroupCommand => ({
          type: 'AddGroupMember',
          actorId: org.creatorId,
          org: orgState,
          userId,
        })),
      ],
      (command) => {
        if (command.type === 'AddGroupMember') group.members.add(command.userId);
      },
    );
    org.groups.push(group);
    org.groupsById.set(groupId, group);
    return group;
  }

  private async createWorkspace(org: OrgPlan, index: number): Promise<void> {
    const workspaceId = this.random.uuid();
    const slug = `ws-${index}-${workspaceId.slice(0, 6)}`;
    const context = this.context(org.creatorId);
    const reservation = this.aggregate<ReservationState>(
      streams.workspaceSlugReservation(org.orgId, slug),
      reservationDecider.initialState,
    );
    await this.execute(reservationDecider, reservation, [], org.orgId, context, {
      type: 'ReserveSlug',
      slug,
      ownerId: workspaceId,
      now: context.now,
      holderExists: false,
    });
    const workspace: WorkspacePlan = {
      workspaceId,
      agg: this.aggregate<WorkspaceState>(
        streams.workspace(org.orgId, workspaceId),
        workspaceDecider.initialState,
      ),
      writers: [org.creatorId],
      archived: false,
    };
    const orgState = this.active(org);
    const members = this.random
      .sample(org.members, this.random.int(3, 80))
      .filter((userId) => userId !== org.creatorId);
    await this.executeMany(
      workspaceDecider,
      workspace.agg,
      [org.agg.streamName, reservation.streamName],
      org.orgId,
      context,
      [
        {
          type: 'CreateWorkspace',
          actorId: org.creatorId,
          org: orgState,
          workspaceId,
          slug,
          name: `Workspace ${index}`,
        } satisfies WorkspaceCommand as WorkspaceCommand,
        ...members.map((userId): WorkspaceCommand => ({
          type: 'SetWorkspaceMemberRole',
          actorId: org.creatorId,
          org: orgState,
          userId,
          role: this.random.pick(WORKSPACE_WRITER_ROLES),
        })),
      ],
      (command) => {
        if (command.type === 'SetWorkspaceMemberRole' && command.role !== 'viewer') {
          workspace.writers.push(command.userId);
        }
      },
    );
    org.workspaces.push(workspace);
  }

  /** The generator's record of a chat about to be created (nothing is decided or appended here). */
  private newChat(
    org: OrgPlan,
    ownerId: string,
    parent: ChatPlan | null,
    workspace: WorkspacePlan | null,
  ): ChatPlan {
    const chatId = this.random.uuid();
    return {
      chatId,
      agg: this.aggregate<ChatState>(streams.chat(org.orgId, chatId), chatDecider.initialState),
      ownerId,
      parent,
      root: parent === null ? null : (parent.root ?? parent),
      workspace,
      aclUsers: new Set(),
      aclGroups: new Set(),
      deleted: false,
    };
  }

  /** A root chat of the org owner's, in no workspace, shared with nobody, and unknown to the churn. */
  private async createUnsharedChat(org: OrgPlan): Promise<ChatPlan> {
    const chat = this.newChat(org, org.creatorId, null, null);
    const { chatId } = chat;
    await this.executeChat(org, chat, org.creatorId, {
      type: 'CreateChat',
      actorId: org.creatorId,
      org: this.active(org),
      chatId,
      title: 'the long chat',
      workspace: null,
      parent: null,
    });
    return chat;
  }

  private async createChat(org: OrgPlan): Promise<void> {
    const parent = org.roots.length > 3 && this.random.chance(0.2) ? this.random.pick(org.chats) : null;
    const workspace = parent === null && this.random.chance(0.6) ? this.random.pick(org.workspaces) : null;
    const root = parent === null ? null : (parent.root ?? parent);
    const ownerId =
      parent !== null
        ? this.actorOn(org, root!)
        : workspace
          ? this.random.pick(workspace.writers)
          : this.writerOf(org);
    if (ownerId === null) return;
    const chat = this.newChat(org, ownerId, parent, workspace ?? root?.workspace ?? null);
    const { chatId } = chat;
    const treeWorkspace = chat.workspace;
    const created = await this.executeChat(org, chat, ownerId, {
      type: 'CreateChat',
      actorId: ownerId,
      org: this.active(org),
      chatId,
      title: `chat ${chatId.slice(0, 8)}`,
      ...(workspace ? { workspaceId: workspace.workspaceId } : {}),
      ...(parent ? { parentChatId: parent.chatId } : {}),
      workspace: treeWorkspace?.agg.state ?? null,
      parent: parent ? { chat: parent.agg.state, ...this.treeOf(org, parent) } : null,
    });
    if (!created) return;
    this.chatsCreated++;
    org.chats.push(chat);
    if (parent === null) org.roots.push(chat);
    if (parent === null) {
      const users = this.random.sample(org.members, this.random.int(0, 4));
      const groups = this.random.sample(org.groups, this.random.int(0, 2));
      await this.share(org, chat, users, groups);
    }
  }

  /** Adds the probe user to 50 of the org's groups (more are made when it has fewer), and shares chats to them. */
  private async makeProbe(org: OrgPlan): Promise<string> {
    const probe = org.members.find((userId) => org.roles.get(userId) === 'member')!;
    while (org.groups.length < 50) await this.createGroup(org, this.random.int(1, 20));
    const groups = this.random.sample(org.groups, 50);
    for (const group of groups) {
      if (group.members.has(probe)) continue;
      await this.executeMany(
        groupDecider,
        group.agg,
        [org.agg.streamName],
        org.orgId,
        this.context(org.creatorId),
        [{ type: 'AddGroupMember', actorId: org.creatorId, org: this.active(org), userId: probe }],
        () => group.members.add(probe),
      );
    }
    for (const chat of this.random.sample(org.roots, Math.min(org.roots.length, 400))) {
      await this.share(org, chat, [], [this.random.pick(groups)]);
    }
    return probe;
  }

  private async churn(org: OrgPlan): Promise<void> {
    const r = this.random.next();
    const chat = org.chats.length === 0 ? undefined : this.random.pick(org.chats);
    if (chat === undefined || chat.deleted || r < 0.02) return this.createChat(org);
    if (r < 0.55) return this.postMessages(org, chat, this.random.int(1, 12));
    if (r < 0.7) {
      const users = this.random.sample(org.members, this.random.int(1, 3));
      const groups = this.random.chance(0.3) ? [this.random.pick(org.groups)] : [];
      return this.share(org, chat.root ?? chat, users, groups);
    }
    if (r < 0.78) return this.unshare(org, chat.root ?? chat);
    if (r < 0.81) return this.rename(org, chat);
    if (r < 0.86) return this.changeGroup(org);
    if (r < 0.9) return this.changeMemberRole(org);
    if (r < 0.92) return this.removeMember(org);
    if (r < 0.925) return this.toggleSharing(org);
    if (r < 0.93) return this.toggleArchive(org);
    if (r < 0.935) return this.deleteChat(org, chat);
    return this.createChat(org);
  }

  private async share(org: OrgPlan, chat: ChatPlan, users: string[], groups: GroupPlan[]): Promise<void> {
    const actorId = this.actorOn(org, chat);
    if (actorId === null) return;
    const role = (): AclRole => (this.random.chance(0.7) ? 'viewer' : 'editor');
    const change = {
      users: Object.fromEntries(users.filter((u) => u !== actorId).map((u) => [u, role()])),
      groups: Object.fromEntries(groups.map((g) => [g.groupId, role()])),
    };
    if (Object.keys(change.users).length + Object.keys(change.groups).length === 0) return;
    const ok = await this.executeChat(
      org,
      chat,
      actorId,
      { type: 'ChangeChatAcl', ...this.onChat(org, chat, actorId, groups), change },
      groups,
    );
    if (!ok) return;
    for (const u of Object.keys(change.users)) chat.aclUsers.add(u);
    for (const g of groups) chat.aclGroups.add(g.groupId);
  }

  private async unshare(org: OrgPlan, chat: ChatPlan): Promise<void> {
    const actorId = this.actorOn(org, chat);
    const users = [...chat.aclUsers].filter((u) => u !== actorId);
    if (actorId === null || users.length === 0) return;
    const userId = this.random.pick(users);
    const ok = await this.executeChat(org, chat, actorId, {
      type: 'ChangeChatAcl',
      ...this.onChat(org, chat, actorId),
      change: { users: { [userId]: '' }, groups: {} },
    });
    if (ok) chat.aclUsers.delete(userId);
  }

  private async rename(org: OrgPlan, chat: ChatPlan): Promise<void> {
    const actorId = this.actorOn(org, chat);
    if (actorId === null) return;
    await this.executeChat(org, chat, actorId, {
      type: 'RenameChat',
      ...this.onChat(org, chat, actorId),
      title: `renamed ${this.random.uuid().slice(0, 8)}`,
    });
  }

  private async deleteChat(org: OrgPlan, chat: ChatPlan): Promise<void> {
    const ok = await this.executeChat(org, chat, org.creatorId, {
      type: 'DeleteChat',
      ...this.onChat(org, chat, org.creatorId),
    });
    if (ok) chat.deleted = true;
  }

  async postMessages(org: OrgPlan, chat: ChatPlan, count: number): Promise<void> {
    const actorId = this.actorOn(org, chat);
    if (actorId === null) return;
    const messagesStream = streams.chatMessages(org.orgId, chat.chatId);
    for (let start = 0; start < count; start += 500) {
      const events: DomainEvent[] = [];
      try {
        for (let i = start; i < Math.min(count, start + 500); i++) {
          events.push(
            ...chatDecider.decide(
              {
                type: 'PostChatMessage',
                ...this.onChat(org, chat, actorId),
                messageId: this.random.uuid(),
                body: `message ${i} ${this.random.secret(this.random.int(6, 60))}`,
              },
              chat.agg.state,
            ),
          );
        }
      } catch (error) {
        if (error instanceof DomainError) return;
        throw error;
      }
      await this.submit(
        messagesStream,
        events,
        ANY,
        this.readsOn(org, chat),
        org.orgId,
        this.context(actorId),
      );
    }
  }

  private async changeGroup(org: OrgPlan): Promise<void> {
    const group = this.random.pick(org.groups);
    const context = this.context(org.creatorId);
    const existing = [...group.members];
    const remove = existing.length > 1 && this.random.chance(0.4);
    const userId = remove ? this.random.pick(existing) : this.random.pick(org.members);
    await this.executeMany(
      groupDecider,
      group.agg,
      [org.agg.streamName],
      org.orgId,
      context,
      [
        {
          type: remove ? 'RemoveGroupMember' : 'AddGroupMember',
          actorId: org.creatorId,
          org: this.active(org),
          userId,
        },
      ],
      () => (remove ? group.members.delete(userId) : group.members.add(userId)),
    );
  }

  private async changeMemberRole(org: OrgPlan): Promise<void> {
    const userId = this.random.pick(org.members);
    if (userId === org.creatorId) return;
    const role: OrgRole = this.random.pick(['member', 'member', 'member', 'auditor', 'admin']);
    await this.executeMany(
      organizationDecider,
      org.agg,
      [],
      org.orgId,
      this.context(org.creatorId),
      [{ type: 'SetOrgMemberRole', actorId: org.creatorId, userId, role, userIsRegistered: true }],
      () => org.roles.set(userId, role),
    );
  }

  private async removeMember(org: OrgPlan): Promise<void> {
    const userId = this.random.pick(org.members);
    if (userId === org.creatorId || org.members.length < 12) return;
    await this.executeMany(
      organizationDecider,
      org.agg,
      [],
      org.orgId,
      this.context(org.creatorId),
      [{ type: 'RemoveOrgMember', actorId: org.creatorId, userId }],
      () => {
        org.members.splice(org.members.indexOf(userId), 1);
        org.roles.delete(userId);
      },
    );
  }

  /** Sharing switched off, or back on: the org's settings flip. */
  private async toggleSharing(org: OrgPlan): Promise<void> {
    const state = this.active(org);
    const chat = this.random.chance(0.7);
    await this.executeMany(organizationDecider, org.agg, [], org.orgId, this.context(org.creatorId), [
      {
        type: 'ChangeOrgSettings',
        actorId: org.creatorId,
        ...(chat
          ? { chatSharingDisabled: !state.settings.chatSharingDisabled }
          : { workspaceSharingDisabled: !state.settings.workspaceSharingDisabled }),
      },
    ]);
  }

  private async toggleArchive(org: OrgPlan): Promise<void> {
    const workspace = this.random.pick(org.workspaces);
    const archived = workspace.archived;
    await this.executeMany(
      workspaceDecider,
      workspace.agg,
      [org.agg.streamName],
      org.orgId,
      this.context(org.creatorId),
      [
        {
          type: archived ? 'UnarchiveWorkspace' : 'ArchiveWorkspace',
          actorId: org.creatorId,
          org: this.active(org),
        },
      ],
      () => (workspace.archived = !archived),
    );
  }

  // ---- deciding and appending ----

  /** Who acts on a chat: its owner while a member, else the org's creator (an owner: every right). */
  private actorOn(org: OrgPlan, chat: ChatPlan): string | null {
    const owner = (chat.root ?? chat).ownerId;
    const role = org.roles.get(owner);
    return role !== undefined && role !== 'auditor' ? owner : org.creatorId;
  }

  private writerOf(org: OrgPlan): string | null {
    for (let i = 0; i < 5; i++) {
      const userId = this.random.pick(org.members);
      if (org.roles.get(userId) !== 'auditor') return userId;
    }
    return org.creatorId;
  }

  private treeOf(org: OrgPlan, chat: ChatPlan, extraGroups: readonly GroupPlan[] = []) {
    const root = chat.root ?? chat;
    const ancestors: ChatState[] = [];
    for (let next = chat.parent; next !== null && next !== chat.root; next = next.parent) {
      ancestors.push(next.agg.state);
    }
    const groups: Record<string, GroupState> = {};
    for (const groupId of [...root.aclGroups, ...extraGroups.map((g) => g.groupId)]) {
      const group = org.groupsById.get(groupId);
      if (group) groups[groupId] = group.agg.state;
    }
    return { root: root.agg.state, ancestors, groups };
  }

  private onChat(org: OrgPlan, chat: ChatPlan, actorId: string, extraGroups: readonly GroupPlan[] = []) {
    return {
      actorId,
      org: this.active(org),
      ...this.treeOf(org, chat, extraGroups),
      workspace: chat.workspace?.agg.state ?? null,
    };
  }

  private readsOn(org: OrgPlan, chat: ChatPlan, extraGroups: readonly GroupPlan[] = []): string[] {
    const reads = [org.agg.streamName, chat.agg.streamName];
    for (let next: ChatPlan | null = chat.parent; next !== null; next = next.parent)
      reads.push(next.agg.streamName);
    if (chat.workspace) reads.push(chat.workspace.agg.streamName);
    for (const groupId of (chat.root ?? chat).aclGroups) {
      const group = org.groupsById.get(groupId);
      if (group) reads.push(group.agg.streamName);
    }
    for (const group of extraGroups) reads.push(group.agg.streamName);
    return reads;
  }

  private async executeChat(
    org: OrgPlan,
    chat: ChatPlan,
    actorId: string,
    command: ChatCommand,
    extraGroups: readonly GroupPlan[] = [],
  ): Promise<boolean> {
    return this.executeMany(
      chatDecider,
      chat.agg,
      this.readsOn(org, chat, extraGroups),
      org.orgId,
      this.context(actorId),
      [command],
    );
  }

  private async execute<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    agg: Aggregate<State>,
    reads: readonly string[],
    orgId: string | undefined,
    context: CommandContext,
    command: Command,
  ): Promise<boolean> {
    return this.executeMany(decider, agg, reads, orgId, context, [command]);
  }

  /**
   * Decides the commands one after another on the aggregate's state and
   * appends what they decided in one append. A refused command is dropped,
   * with nothing of it appended, as the API would have answered it.
   */
  private async executeMany<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    agg: Aggregate<State>,
    reads: readonly string[],
    orgId: string | undefined,
    context: CommandContext,
    commands: readonly Command[],
    onAccepted: (command: Command) => void = () => undefined,
  ): Promise<boolean> {
    const decided: Event[] = [];
    let accepted = 0;
    for (const command of commands) {
      let events: Event[];
      try {
        events = decider.decide(command, agg.state);
      } catch (error) {
        if (error instanceof DomainError) continue;
        throw error;
      }
      for (const event of events) {
        agg.state = decider.evolve(agg.state, {
          ...event,
          ref: { eventId: this.random.uuid(), position: 'generated', occurredAt: context.now.toISOString() },
        });
      }
      decided.push(...events);
      accepted++;
      onAccepted(command);
    }
    if (decided.length === 0) return accepted > 0;
    const expected = agg.revision < 0 ? NO_STREAM : agg.revision;
    if (agg.revision < 0) this.streamCount++;
    agg.revision += decided.length;
    await this.submit(agg.streamName, decided, expected, reads, orgId, context);
    return true;
  }

  private async submit(
    streamName: string,
    events: readonly DomainEvent[],
    expected: typeof ANY | typeof NO_STREAM | number,
    reads: readonly string[],
    orgId: string | undefined,
    context: CommandContext,
  ): Promise<void> {
    this.planned += events.length;
    await this.writer.submit({
      streamName,
      events: this.aggregates.envelope(events, context, orgId),
      expected,
      reads,
    });
    this.onProgress(this.planned);
  }

  private aggregate<State>(streamName: string, state: State): Aggregate<State> {
    return { streamName, state, revision: -1 };
  }

  private active(org: OrgPlan): ActiveOrganization {
    if (org.agg.state.status !== 'active') throw new Error(`org ${org.orgId} is not active`);
    return org.agg.state;
  }

  /** A request's metadata, with the simulated clock moving on by up to two seconds per command. */
  private context(actorId: string): CommandContext {
    this.clock += this.random.int(50, 2_000);
    const id = this.random.uuid();
    return { actorId, correlationId: id, causationId: id, now: new Date(this.clock) };
  }

  private async enableSharing(org: OrgPlan): Promise<void> {
    const { settings } = this.active(org);
    if (!settings.chatSharingDisabled && !settings.workspaceSharingDisabled) return;
    await this.executeMany(organizationDecider, org.agg, [], org.orgId, this.context(org.creatorId), [
      {
        type: 'ChangeOrgSettings',
        actorId: org.creatorId,
        chatSharingDisabled: false,
        workspaceSharingDisabled: false,
      },
    ]);
  }

  private manifestOf(org: OrgPlan): OrgManifest {
    return {
      orgId: org.orgId,
      slug: org.slug,
      ownerId: org.creatorId,
      memberIds: org.members.filter((userId) => org.roles.get(userId) === 'member'),
      writableChatIds: org.roots
        .filter((chat) => !chat.deleted && !(chat.workspace?.archived ?? false))
        .map((chat) => chat.chatId),
    };
  }
}
