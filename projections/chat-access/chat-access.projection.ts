import type pg from 'pg';
import { ACCESS_POLICY } from '../../libs/authz/policy.js';
import { type TenantryEvent, type TenantryEventType } from '../../libs/domain/events.js';
import { type Recorded } from '../../libs/domain/kernel/index.js';
import {
  type ProjectedEvent,
  type Projection,
  type ProjectionBatch,
} from '../../libs/projection-runtime/projection.js';
import {
  aclScope,
  changeSettings,
  createChat,
  refValues,
  rootsInWorkspace,
  rootsSharedWithGroup,
  setArchivedBy,
  setOrgMember,
  upsertWorkspaceMember,
} from './chat-access.facts.js';
import { completeOrgAccess } from './chat-access.build.js';
import { type AccessScope } from './chat-access.loader.js';
import { type PendingOptions, PendingRecomputes } from './chat-access.pending.js';
import {
  ACCESS_ACL_TABLE,
  ACCESS_CHATS_TABLE,
  ACCESS_GROUP_MEMBERS_TABLE,
  ACCESS_GROUPS_TABLE,
  ACCESS_ORG_MEMBERS_TABLE,
  ACCESS_ORG_SETTINGS_TABLE,
  ACCESS_WORKSPACE_MEMBERS_TABLE,
  ACCESS_WORKSPACES_TABLE,
  CHAT_ACCESS_SCHEMA_SQL,
  CHAT_ACCESS_TABLES,
} from './chat-access.schema.js';

type EventOf<Type extends TenantryEventType> = Recorded<Extract<TenantryEvent, { type: Type }>>;

/**
 * Writes one event into the fact tables, mirroring the deciders' `evolve`,
 * and returns the pairs whose access it can change (null: none). Unless
 * `scoped`, it only writes and answers null: a build's bulk mode computes
 * access at its end (chat-access.build.ts).
 *
 * Every write is issued before the first `await`: a bulk batch does not
 * wait for one event's writes before the next event's, so the session
 * runs them in the order the events came only if each update hands its
 * statements over at once (chat-access.build.ts; the property test of
 * bulk mode fails when one does not).
 */
type FactUpdate<Type extends TenantryEventType> = (
  client: pg.ClientBase,
  orgId: string,
  event: EventOf<Type>,
  scoped: boolean,
) => Promise<AccessScope | null>;

/** Said of an event type that changes no fact of access: set aside on purpose, not forgotten. */
const NO_BEARING_ON_ACCESS = 'no bearing on access';

/**
 * One entry per event type of the domain, so that a new event type does not
 * compile until this projection says what it does to access. A forgotten
 * type here would grant or deny wrongly without a sound.
 */
const factUpdates: {
  readonly [Type in TenantryEventType]: FactUpdate<Type> | typeof NO_BEARING_ON_ACCESS;
} = {
  // Users and reservations: platform events, of no org.
  UserRegistered: NO_BEARING_ON_ACCESS,
  UserSuspended: NO_BEARING_ON_ACCESS,
  UserReactivated: NO_BEARING_ON_ACCESS,
  ApiTokenIssued: NO_BEARING_ON_ACCESS,
  ApiTokenRevoked: NO_BEARING_ON_ACCESS,
  SlugReserved: NO_BEARING_ON_ACCESS,
  SlugReleased: NO_BEARING_ON_ACCESS,

  async OrganizationCreated(client, orgId) {
    await client.query(
      `INSERT INTO ${ACCESS_ORG_SETTINGS_TABLE} (org_id, chat_sharing_disabled, workspace_sharing_disabled)
       VALUES ($1, false, false) ON CONFLICT (org_id) DO NOTHING`,
      [orgId],
    );
    return null;
  },
  async MemberRoleChanged(client, orgId, event, scoped) {
    if (event.data.scope === 'workspace') {
      const { workspaceId, userId, role } = event.data;
      const [, roots] = await Promise.all([
        upsertWorkspaceMember(client, orgId, workspaceId, userId, role, event.ref),
        scoped ? rootsInWorkspace(client, orgId, workspaceId) : null,
      ]);
      return roots && { roots, users: [userId] };
    }
    return setOrgMember(client, orgId, event.data.userId, event.data.role, event.ref);
  },
  OrgMemberAdded: (client, orgId, { data, ref }) => setOrgMember(client, orgId, data.userId, data.role, ref),
  async OrgMemberRemoved(client, orgId, { data: { userId } }) {
    // Only the org membership goes: group and workspace memberships stay and count on re-adding.
    await client.query(`DELETE FROM ${ACCESS_ORG_MEMBERS_TABLE} WHERE org_id = $1 AND user_id = $2`, [
      orgId,
      userId,
    ]);
    return { roots: 'all', users: [userId] };
  },
  OrgSettingsChanged: (client, orgId, { data }, scoped) =>
    changeSettings(client, orgId, data.settings, scoped),

  async GroupCreated(client, orgId, { data: { groupId } }) {
    await client.query(
      `INSERT INTO ${ACCESS_GROUPS_TABLE} (org_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [orgId, groupId],
    );
    return null;
  },
  async GroupMemberAdded(client, orgId, { data: { groupId, userId }, ref }, scoped) {
    // Like the group's evolve: a deleted group takes no members.
    const added = client.query(
      `INSERT INTO ${ACCESS_GROUP_MEMBERS_TABLE}
         (org_id, group_id, user_id, since_event_id, since_position, since_occurred_at)
       SELECT $1, $2, $3, $4, $5, $6
       WHERE EXISTS (SELECT 1 FROM ${ACCESS_GROUPS_TABLE} WHERE org_id = $1 AND group_id = $2)
       ON CONFLICT (org_id, group_id, user_id) DO UPDATE SET since_event_id = excluded.since_event_id,
         since_position = excluded.since_position, since_occurred_at = excluded.since_occurred_at`,
      [orgId, groupId, userId, ...refValues(ref)],
    );
    const [, roots] = await Promise.all([
      added,
      scoped ? rootsSharedWithGroup(client, orgId, groupId) : null,
    ]);
    return roots && { roots, users: [userId] };
  },
  async GroupMemberRemoved(client, orgId, { data: { groupId, userId } }, scoped) {
    const [, roots] = await Promise.all([
      client.query(
        `DELETE FROM ${ACCESS_GROUP_MEMBERS_TABLE} WHERE org_id = $1 AND group_id = $2 AND user_id = $3`,
        [orgId, groupId, userId],
      ),
      scoped ? rootsSharedWithGroup(client, orgId, groupId) : null,
    ]);
    return roots && { roots, users: [userId] };
  },
  async GroupDeleted(client, orgId, { data: { groupId } }, scoped) {
    // Its ACL entries stay stored (a ChatUnshared may still name it); the loader drops them.
    const [, members, roots] = await Promise.all([
      client.query(`DELETE FROM ${ACCESS_GROUPS_TABLE} WHERE org_id = $1 AND group_id = $2`, [
        orgId,
        groupId,
      ]),
      client.query<{ user_id: string }>(
        `DELETE FROM ${ACCESS_GROUP_MEMBERS_TABLE} WHERE org_id = $1 AND group_id = $2 RETURNING user_id`,
        [orgId, groupId],
      ),
      scoped ? rootsSharedWithGroup(client, orgId, groupId) : null,
    ]);
    return roots && { roots, users: members.rows.map((row) => row.user_id) };
  },

  async WorkspaceCreated(client, orgId, { data: { workspaceId } }) {
    await client.query(
      `INSERT INTO ${ACCESS_WORKSPACES_TABLE} (org_id, workspace_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [orgId, workspaceId],
    );
    return null;
  },
  async WorkspaceMemberAdded(client, orgId, { data: { workspaceId, userId, role }, ref }, scoped) {
    const [, roots] = await Promise.all([
      upsertWorkspaceMember(client, orgId, workspaceId, userId, role, ref),
      scoped ? rootsInWorkspace(client, orgId, workspaceId) : null,
    ]);
    return roots && { roots, users: [userId] };
  },
  async WorkspaceMemberRemoved(client, orgId, { data: { workspaceId, userId } }, scoped) {
    const [, roots] = await Promise.all([
      client.query(
        `DELETE FROM ${ACCESS_WORKSPACE_MEMBERS_TABLE} WHERE org_id = $1 AND workspace_id = $2 AND user_id = $3`,
        [orgId, workspaceId, userId],
      ),
      scoped ? rootsInWorkspace(client, orgId, workspaceId) : null,
    ]);
    return roots && { roots, users: [userId] };
  },
  WorkspaceArchived: (client, orgId, { data, ref }, scoped) =>
    setArchivedBy(client, orgId, data.workspaceId, ref, scoped),
  WorkspaceUnarchived: (client, orgId, { data }, scoped) =>
    setArchivedBy(client, orgId, data.workspaceId, null, scoped),

  ChatCreated: (client, orgId, { data, ref }) => createChat(client, orgId, data, ref),
  async ChatShared(client, orgId, { data: { chatId, subject, role }, ref }, scoped) {
    const shared = client.query(
      `INSERT INTO ${ACCESS_ACL_TABLE} (org_id, chat_id, subject_kind, subject_id, role,
         granted_by_event_id, granted_by_position, granted_by_occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (org_id, chat_id, subject_kind, subject_id) DO UPDATE SET role = excluded.role,
         granted_by_event_id = excluded.granted_by_event_id,
         granted_by_position = excluded.granted_by_position,
         granted_by_occurred_at = excluded.granted_by_occurred_at`,
      [orgId, chatId, subject.kind, subject.id, role, ...refValues(ref)],
    );
    const [, scope] = await Promise.all([shared, scoped ? aclScope(client, orgId, chatId, subject) : null]);
    return scope;
  },
  async ChatUnshared(client, orgId, { data: { chatId, subject } }, scoped) {
    const [, scope] = await Promise.all([
      client.query(
        `DELETE FROM ${ACCESS_ACL_TABLE}
         WHERE org_id = $1 AND chat_id = $2 AND subject_kind = $3 AND subject_id = $4`,
        [orgId, chatId, subject.kind, subject.id],
      ),
      scoped ? aclScope(client, orgId, chatId, subject) : null,
    ]);
    return scope;
  },
  async ChatDeleted(client, orgId, { data: { chatId } }) {
    // One event for the whole subtree: the chat and every chat below it.
    const { rows } = await client.query<{ root_chat_id: string; subtree: string[] }>(
      `WITH deleted AS (
         UPDATE ${ACCESS_CHATS_TABLE} SET deleted = true
         WHERE org_id = $1 AND chat_id = $2 RETURNING root_chat_id
       )
       SELECT d.root_chat_id, array_agg(c.chat_id) AS subtree
       FROM deleted d JOIN ${ACCESS_CHATS_TABLE} c
         ON c.org_id = $1 AND c.root_chat_id = d.root_chat_id AND (c.chat_id = $2 OR $2 = ANY(c.ancestor_ids))
       GROUP BY d.root_chat_id`,
      [orgId, chatId],
    );
    const deleted = rows[0];
    return deleted ? { roots: [deleted.root_chat_id], chats: deleted.subtree } : null;
  },
  ChatRenamed: NO_BEARING_ON_ACCESS,
  ChatMessagePosted: NO_BEARING_ON_ACCESS,
};

function isTenantryEventType(type: string): type is TenantryEventType {
  return Object.hasOwn(factUpdates, type);
}

/**
 * Writes the event into the fact tables and returns the pairs to recompute
 * (null: none; always null unless `scoped`). Exported for the tests.
 */
export async function updateFacts(
  client: pg.ClientBase,
  orgId: string,
  event: ProjectedEvent,
  scoped = true,
): Promise<AccessScope | null> {
  // A type of no domain (an event some other writer put in the log) changes no fact.
  if (!isTenantryEventType(event.type)) return null;
  const update = factUpdates[event.type];
  if (update === NO_BEARING_ON_ACCESS) return null;
  const scope = await (update as FactUpdate<TenantryEventType>)(
    client,
    orgId,
    event as ProjectedEvent & EventOf<TenantryEventType>,
    scoped,
  );
  return scoped ? scope : null;
}

/**
 * Effective access per (user, chat), materialized (see projections/README.md):
 * each event first updates this projection's own fact tables, then maps to
 * the narrowest {@link AccessScope} that holds every pair whose access it can
 * change, and libs/authz is asked about those pairs once per batch, over the
 * union of its events' scopes (chat-access.pending.ts).
 */
export const chatAccessProjection: Projection = {
  name: 'chat-access',
  version: 1,
  /** Its rows are libs/authz's answers: a new policy makes them stale (DESIGN.md §8). */
  get policyVersion() {
    return ACCESS_POLICY.version;
  },
  schemaSql: CHAT_ACCESS_SCHEMA_SQL,
  tables: CHAT_ACCESS_TABLES,
  async apply(client, event) {
    const batch = chatAccessBatch();
    await batch.apply(client, event);
    await batch.finish(client);
  },
  batch: (mode) => (mode === 'building' ? buildingBatch() : chatAccessBatch()),
  completeBuild: completeOrgAccess,
};

/** Facts per event, recomputes once per batch; `options` for the tests (chat-access.pending.ts). */
export function chatAccessBatch(options?: PendingOptions): ProjectionBatch {
  const pending = new PendingRecomputes(options);
  return {
    async apply(client, event) {
      if (event.orgId === null) return;
      const scope = await updateFacts(client, event.orgId, event);
      if (scope) pending.add(event.orgId, scope);
    },
    finish: (client) => pending.flush(client),
  };
}

/**
 * A build's batch in bulk mode (chat-access.build.ts): facts only, no
 * recompute. It does not wait for one event's writes before issuing the
 * next event's: every fact update hands its statements over before its
 * first `await` ({@link FactUpdate}), so the session runs them in the order
 * of the events, and on a pipelined connection they leave together. The
 * first write that fails fails the batch, named by its event.
 */
export function buildingBatch(): ProjectionBatch {
  const writes: Promise<unknown>[] = [];
  let failure: { readonly event: ProjectedEvent; readonly error: unknown } | undefined;
  return {
    async apply(client, event) {
      if (event.orgId === null) return;
      const written = updateFacts(client, event.orgId, event, false);
      // Handled at once: a write failing before `finish` must not be an unhandled rejection.
      written.catch((error: unknown) => {
        failure ??= { event, error };
      });
      writes.push(written);
    },
    async finish() {
      await Promise.allSettled(writes);
      if (failure) {
        const { event, error } = failure;
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
          `chat-access: ${event.type} at ${event.ref.position} (${event.ref.eventId}): ${reason}`,
        );
      }
    },
  };
}
