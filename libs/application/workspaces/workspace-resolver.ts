import { type AggregateStore } from '../../command-runtime/index.js';
import { isUuid, refuse, SLUG_PATTERN } from '../../domain/kernel/index.js';
import { reservationDecider } from '../../domain/reservation/reservation.decider.js';
import { streams } from '../../domain/streams.js';

/**
 * `{ws}` in a route is the workspace's id or its slug (DESIGN.md §10). As for
 * `{org}` (OrgResolver), a slug is resolved through the org's reservation
 * stream of that slug, never through a read model, and anything that leads
 * nowhere is the same 404 as a missing workspace.
 *
 * A UUID-shaped `{ws}` is always taken as an id, like `{org}`: a workspace
 * whose slug happens to look like a UUID is reached by its id.
 *
 * A slug resolves to the workspace id it is reserved for; whether that
 * workspace exists, and whether the caller may see it, is the decider's
 * question (404 from there too), so a reservation whose creation never
 * happened answers like any other missing workspace.
 */
export class WorkspaceResolver {
  constructor(private readonly aggregates: AggregateStore) {}

  async workspaceIdOf(orgId: string, ws: string): Promise<string> {
    if (isUuid(ws)) return ws.toLowerCase();
    if (!SLUG_PATTERN.test(ws)) throw notFound();
    const { state } = await this.aggregates.load(
      reservationDecider,
      streams.workspaceSlugReservation(orgId, ws),
    );
    if (state.status !== 'reserved') throw notFound();
    return state.ownerId;
  }
}

const notFound = () => refuse.notFound('WORKSPACE.NOT_FOUND', 'workspace not found');
