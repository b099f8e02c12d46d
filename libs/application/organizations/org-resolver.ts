import { type AggregateStore, type LoadedAggregate } from '../../command-runtime/index.js';
import { isUuid, refuse, SLUG_PATTERN } from '../../domain/kernel/index.js';
import { organizationDecider } from '../../domain/organization/organization.decider.js';
import {
  type ActiveOrganization,
  type OrganizationState,
} from '../../domain/organization/organization.state.js';
import { reservationDecider } from '../../domain/reservation/reservation.decider.js';
import { streams } from '../../domain/streams.js';

/**
 * `{org}` in a route is the organization's id or its slug (DESIGN.md §10).
 * The command side resolves a slug through the slug's reservation stream,
 * the log's own index of slugs, so it never reads a read model. Anything
 * that does not lead to an organization the caller belongs to is the same
 * 404 as a missing one.
 */
export class OrgResolver {
  constructor(private readonly aggregates: AggregateStore) {}

  async orgIdOf(org: string): Promise<string> {
    if (isUuid(org)) return org.toLowerCase();
    if (!SLUG_PATTERN.test(org)) throw notFound();
    const { state } = await this.aggregates.load(reservationDecider, streams.orgSlugReservation(org));
    if (state.status !== 'reserved') throw notFound();
    return state.ownerId;
  }

  /** The organization, loaded from its stream, if the caller is a member; 404 otherwise. */
  async loadForMember(
    org: string,
    userId: string,
  ): Promise<LoadedAggregate<OrganizationState> & { orgId: string }> {
    const orgId = await this.orgIdOf(org);
    const loaded = await this.aggregates.load(organizationDecider, streams.organization(orgId));
    if (loaded.state.status !== 'active' || !loaded.state.members.get(userId)) throw notFound();
    return { ...loaded, orgId };
  }

  /** The member's view of the organization, for commands of other aggregates that need its facts. */
  async activeOrgFor(org: string, userId: string): Promise<ActiveOrganization> {
    return (await this.loadForMember(org, userId)).state as ActiveOrganization;
  }
}

const notFound = () => refuse.notFound('ORG.NOT_FOUND', 'organization not found');
