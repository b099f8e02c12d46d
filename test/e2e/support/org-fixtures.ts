import { randomUUID } from 'node:crypto';
import { type OrgRole } from '../../../libs/authz/policy.js';
import {
  AggregateStore,
  type CommandContext,
  createUnderSlug,
  executeCommand,
} from '../../../libs/command-runtime/index.js';
import { type OrganizationCommand } from '../../../libs/domain/organization/organization.commands.js';
import { organizationDecider } from '../../../libs/domain/organization/organization.decider.js';
import { streams } from '../../../libs/domain/streams.js';
import { upcasters } from '../../../libs/domain/upcasting/upcaster-registry.js';
import { type E2eApp } from './e2e-app.js';

/**
 * Organizations for e2e tests of other route areas, appended through the
 * command runtime as the org routes' handlers would (the decider, the
 * stream, the platform-wide slug reservation), so these tests do not depend
 * on the org routes' HTTP shape.
 */
export interface OrgFixture {
  readonly orgId: string;
  readonly slug: string;
  /** Gives the user the role (adding them) as `actorId`, an owner by default. */
  setRole(userId: string, role: OrgRole, actorId?: string): Promise<void>;
  removeMember(userId: string, actorId?: string): Promise<void>;
  setWorkspaceSharingDisabled(disabled: boolean, actorId?: string): Promise<void>;
}

let counter = 0;

/** A new org owned by `ownerId`, with everyone in `members` added at their role. */
export async function createOrg(
  app: E2eApp,
  ownerId: string,
  members: Record<string, OrgRole> = {},
): Promise<OrgFixture> {
  const aggregates = new AggregateStore(app.eventStore, upcasters);
  const orgId = randomUUID();
  const slug = `org-${process.pid}-${++counter}-${Date.now()}`;
  const run = (command: OrganizationCommand) =>
    executeCommand(aggregates, {
      decider: organizationDecider,
      streamName: streams.organization(orgId),
      command,
      context: contextOf(command.actorId),
      orgId,
    });
  await createUnderSlug(
    aggregates,
    {
      streamName: streams.orgSlugReservation(slug),
      slug,
      ownerId: orgId,
      holderExists: async () => true,
      context: contextOf(ownerId),
      orgId: undefined,
    },
    'ORG.SLUG_TAKEN',
    () => run({ type: 'CreateOrganization', actorId: ownerId, orgId, slug, name: `Org ${slug}` }),
  );
  const fixture: OrgFixture = {
    orgId,
    slug,
    async setRole(userId, role, actorId = ownerId) {
      await run({ type: 'SetOrgMemberRole', actorId, userId, role, userIsRegistered: true });
    },
    async removeMember(userId, actorId = ownerId) {
      await run({ type: 'RemoveOrgMember', actorId, userId });
    },
    async setWorkspaceSharingDisabled(workspaceSharingDisabled, actorId = ownerId) {
      await run({ type: 'ChangeOrgSettings', actorId, workspaceSharingDisabled });
    },
  };
  for (const [userId, role] of Object.entries(members)) await fixture.setRole(userId, role);
  return fixture;
}

/** A fresh command context for a fixture's command, as if from its own request. */
export function contextOf(actorId: string): CommandContext {
  const id = randomUUID();
  return { actorId, correlationId: id, causationId: id, now: new Date() };
}
