import { randomUUID } from 'node:crypto';
import { type OrgRole } from '../../authz/policy.js';
import {
  type AggregateStore,
  type CommandContext,
  type CommandOutcome,
  createUnderSlug,
  executeCommand,
} from '../../command-runtime/index.js';
import {
  type ChangeOrgSettings,
  type CreateOrganization,
  type OrganizationCommand,
  type RemoveOrgMember,
} from '../../domain/organization/organization.commands.js';
import { organizationDecider } from '../../domain/organization/organization.decider.js';
import { type OrganizationEvent } from '../../domain/organization/organization.events.js';
import { type OrganizationState } from '../../domain/organization/organization.state.js';
import { streams } from '../../domain/streams.js';
import { userDecider } from '../../domain/user/user.decider.js';
import { type OrgResolver } from './org-resolver.js';

export type OrganizationOutcome = CommandOutcome<OrganizationEvent, OrganizationState>;

export class CreateOrganizationCommand {
  constructor(
    readonly slug: string,
    readonly name: string,
    readonly context: CommandContext,
  ) {}
}

/**
 * Creates an organization with its creator as owner (DESIGN.md §5, §10).
 * Slugs are unique platform-wide: the slug is claimed in its reservation
 * stream first (whose events carry the new org's id, so they belong to its
 * history), and a failed creation frees it again.
 */
export class CreateOrganizationHandler {
  constructor(private readonly aggregates: AggregateStore) {}

  execute({ slug, name, context }: CreateOrganizationCommand): Promise<OrganizationOutcome> {
    const orgId = randomUUID();
    const command: CreateOrganization = {
      type: 'CreateOrganization',
      actorId: context.actorId,
      orgId,
      slug,
      name,
    };
    // Invalid input is refused before anything is claimed.
    organizationDecider.decide(command, organizationDecider.initialState);
    return createUnderSlug(
      this.aggregates,
      {
        streamName: streams.orgSlugReservation(slug),
        slug,
        ownerId: orgId,
        holderExists: async (holderId) =>
          (await this.aggregates.load(organizationDecider, streams.organization(holderId))).state.status !==
          'absent',
        context,
        orgId,
      },
      'ORG.SLUG_TAKEN',
      () => runOrganizationCommand(this.aggregates, orgId, command, context),
    );
  }
}

export class SetOrgMemberRoleCommand {
  constructor(
    /** The org's id or slug, as the route has it. */
    readonly org: string,
    readonly userId: string,
    readonly role: OrgRole,
    readonly context: CommandContext,
  ) {}
}

/**
 * Adds a user to the organization or changes their role. Whether the user
 * exists is a fact of another stream, looked up on each attempt: a user who
 * is already a member needs no look-up.
 */
export class SetOrgMemberRoleHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
  ) {}

  async execute({ org, userId, role, context }: SetOrgMemberRoleCommand): Promise<OrganizationOutcome> {
    const orgId = await this.orgs.orgIdOf(org);
    return runOrganizationCommand(
      this.aggregates,
      orgId,
      async (state) => ({
        type: 'SetOrgMemberRole',
        actorId: context.actorId,
        userId,
        role,
        userIsRegistered:
          (state.status === 'active' && state.members.get(userId) !== undefined) ||
          (await this.aggregates.load(userDecider, streams.user(userId))).state.status !== 'absent',
      }),
      context,
    );
  }
}

export class ChangeOrganizationCommand {
  constructor(
    /** The org's id or slug, as the route has it. */
    readonly org: string,
    readonly command: RemoveOrgMember | ChangeOrgSettings,
    readonly context: CommandContext,
  ) {}
}

/** Member removal and settings: the org's own stream holds every fact they need. */
export class ChangeOrganizationHandler {
  constructor(
    private readonly aggregates: AggregateStore,
    private readonly orgs: OrgResolver,
  ) {}

  async execute({ org, command, context }: ChangeOrganizationCommand): Promise<OrganizationOutcome> {
    return runOrganizationCommand(this.aggregates, await this.orgs.orgIdOf(org), command, context);
  }
}

/**
 * Membership of the org is decided by the decider itself (404 for
 * non-members), against the state each attempt loads, so a concurrent
 * change (say, the other owner stepping down) is decided again, not raced.
 */
function runOrganizationCommand(
  aggregates: AggregateStore,
  orgId: string,
  command: OrganizationCommand | ((state: OrganizationState) => Promise<OrganizationCommand>),
  context: CommandContext,
): Promise<OrganizationOutcome> {
  return executeCommand(aggregates, {
    decider: organizationDecider,
    streamName: streams.organization(orgId),
    command,
    context,
    orgId,
  });
}
