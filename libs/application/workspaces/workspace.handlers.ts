import { randomUUID } from 'node:crypto';
import {
  type AggregateStore,
  type CommandContext,
  type CommandOutcome,
  createUnderSlug,
  executeCommand,
} from '../../command-runtime/index.js';
import { streams } from '../../domain/streams.js';
import { type CreateWorkspace, type WorkspaceCommand } from '../../domain/workspace/workspace.commands.js';
import { workspaceDecider } from '../../domain/workspace/workspace.decider.js';
import { type WorkspaceEvent } from '../../domain/workspace/workspace.events.js';
import { type WorkspaceState } from '../../domain/workspace/workspace.state.js';
import { type OrgResolver } from '../organizations/org-resolver.js';
import { type WorkspaceResolver } from './workspace-resolver.js';

export type WorkspaceOutcome = CommandOutcome<WorkspaceEvent, WorkspaceState>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A workspace command as a route states it; the handler adds who acts and their organization's facts. */
export type WorkspaceChange = DistributiveOmit<Exclude<WorkspaceCommand, CreateWorkspace>, 'actorId' | 'org'>;

export class CreateWorkspaceCommand {
  constructor(
    /** `{org}`: the organization's id or slug. */
    readonly org: string,
    readonly slug: string,
    readonly name: string,
    readonly context: CommandContext,
  ) {}
}

/**
 * Creates a workspace under a slug unique in its org (DESIGN.md §5, §6). The
 * slug is claimed in the org's reservation stream first; the same slug in
 * another org is another stream, so it is free there. Invalid input, an
 * auditor, or a caller outside the org is refused before anything is claimed.
 */
export class CreateWorkspaceHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
  ) {}

  async execute({ org: orgRef, slug, name, context }: CreateWorkspaceCommand): Promise<WorkspaceOutcome> {
    const org = await this.orgs.activeOrgFor(orgRef, context.actorId);
    const orgId = org.orgId;
    const workspaceId = randomUUID();
    const command: CreateWorkspace = {
      type: 'CreateWorkspace',
      actorId: context.actorId,
      org,
      workspaceId,
      slug,
      name,
    };
    workspaceDecider.decide(command, workspaceDecider.initialState);
    return createUnderSlug(
      this.aggregates,
      {
        streamName: streams.workspaceSlugReservation(orgId, slug),
        slug,
        ownerId: workspaceId,
        holderExists: async (holderId) =>
          (await this.aggregates.load(workspaceDecider, streams.workspace(orgId, holderId))).state.status !==
          'absent',
        context,
        orgId,
      },
      'WORKSPACE.SLUG_TAKEN',
      () =>
        executeCommand(this.aggregates, {
          decider: workspaceDecider,
          streamName: streams.workspace(orgId, workspaceId),
          command,
          context,
          orgId,
        }),
    );
  }
}

export class ChangeWorkspaceCommand {
  constructor(
    /** `{org}`: the organization's id or slug. */
    readonly org: string,
    /** `{ws}`: the workspace's id or slug in that organization. */
    readonly workspace: string,
    readonly change: WorkspaceChange,
    readonly context: CommandContext,
  ) {}
}

/**
 * Memberships, archive and unarchive: resolve `{org}` (404 unless the caller
 * is a member) and `{ws}`, then let the decider rule with the org's facts on
 * the command. The org is read once per request: a change to it racing with
 * this command is not serialised against the workspace stream, as no command
 * spanning two streams is (DESIGN.md §2 decides per aggregate).
 */
export class ChangeWorkspaceHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
    private readonly workspaces: WorkspaceResolver,
  ) {}

  async execute({
    org: orgRef,
    workspace,
    change,
    context,
  }: ChangeWorkspaceCommand): Promise<WorkspaceOutcome> {
    const org = await this.orgs.activeOrgFor(orgRef, context.actorId);
    const workspaceId = await this.workspaces.workspaceIdOf(org.orgId, workspace);
    const command: WorkspaceCommand = { ...change, actorId: context.actorId, org };
    return executeCommand(this.aggregates, {
      decider: workspaceDecider,
      streamName: streams.workspace(org.orgId, workspaceId),
      command,
      context,
      orgId: org.orgId,
    });
  }
}
