import { randomUUID } from 'node:crypto';
import {
  type AggregateStore,
  type CommandContext,
  type CommandOutcome,
  executeCommand,
} from '../../command-runtime/index.js';
import { type GroupCommand } from '../../domain/group/group.commands.js';
import { groupDecider } from '../../domain/group/group.decider.js';
import { type GroupEvent } from '../../domain/group/group.events.js';
import { type GroupState } from '../../domain/group/group.state.js';
import { streams } from '../../domain/streams.js';
import { type OrgResolver } from '../organizations/org-resolver.js';

export type GroupOutcome = CommandOutcome<GroupEvent, GroupState>;

/** A group command as a route asks for it: the handler adds the actor and the org it loads. */
type GroupRequest = WithoutActorAndOrg<GroupCommand>;
type WithoutActorAndOrg<C> = C extends unknown ? Omit<C, 'actorId' | 'org'> : never;
export type GroupChange = Exclude<GroupRequest, { type: 'CreateGroup' }>;

export class CreateGroupCommand {
  constructor(
    /** The org's id or slug, as the route has it. */
    readonly org: string,
    readonly name: string,
    readonly context: CommandContext,
  ) {}
}

export class CreateGroupHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
  ) {}

  async execute({ org, name, context }: CreateGroupCommand): Promise<GroupOutcome> {
    const groupId = randomUUID();
    return runGroupCommand(this.aggregates, this.orgs, await this.orgs.orgIdOf(org), groupId, context, {
      type: 'CreateGroup',
      groupId,
      name,
    });
  }
}

export class ChangeGroupCommand {
  constructor(
    /** The org's id or slug, as the route has it. */
    readonly org: string,
    readonly groupId: string,
    readonly change: GroupChange,
    readonly context: CommandContext,
  ) {}
}

/** Adding and removing members, and deletion. */
export class ChangeGroupHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
  ) {}

  async execute({ org, groupId, change, context }: ChangeGroupCommand): Promise<GroupOutcome> {
    const orgId = await this.orgs.orgIdOf(org);
    return runGroupCommand(this.aggregates, this.orgs, orgId, groupId, context, change);
  }
}

/**
 * The organization is loaded from its own stream on every attempt, so the
 * actor's role and the members a group may take are as strongly consistent
 * as the group itself (DESIGN.md §2). A caller who is not a member of the
 * org gets its 404 before anything about the group is looked at.
 *
 * Left out on purpose: the org and the group are two streams, so a user
 * removed from the org at the very moment they are added to a group may
 * stay in it. Such a membership grants nothing: libs/authz requires org
 * membership first (DESIGN.md §5, rule 1), and it can still be removed.
 */
function runGroupCommand(
  aggregates: AggregateStore,
  orgs: OrgResolver,
  orgId: string,
  groupId: string,
  context: CommandContext,
  request: GroupRequest,
): Promise<GroupOutcome> {
  return executeCommand(aggregates, {
    decider: groupDecider,
    streamName: streams.group(orgId, groupId),
    command: async (): Promise<GroupCommand> => ({
      ...request,
      actorId: context.actorId,
      org: await orgs.activeOrgFor(orgId, context.actorId),
    }),
    context,
    orgId,
  });
}
