import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type pg from 'pg';
import {
  AccessFactsError,
  type AclEntry,
  type ChatAccessFacts,
  type Membership,
} from '../../libs/authz/access-facts.js';
import { type EventRef } from '../../libs/event-store/index.js';
import {
  ACCESS_POLICY,
  type AclRole,
  ORG_ROLES,
  type OrgRole,
  type WorkspaceRole,
} from '../../libs/authz/policy.js';
import {
  ACCESS_ACL_TABLE,
  ACCESS_CHATS_TABLE,
  ACCESS_GROUP_MEMBERS_TABLE,
  ACCESS_GROUPS_TABLE,
  ACCESS_ORG_MEMBERS_TABLE,
  ACCESS_ORG_SETTINGS_TABLE,
  ACCESS_WORKSPACE_MEMBERS_TABLE,
  ACCESS_WORKSPACES_TABLE,
} from './chat-access.schema.js';

/**
 * Which (user, chat) pairs to recompute: the chats of some root chats (or of
 * every root of the org), optionally only some of those chats, for some users
 * (or for everyone). The projector maps each event to the narrowest scope
 * that contains every pair whose access the event can change.
 */
export interface AccessScope {
  readonly roots: 'all' | readonly string[];
  /** Only these chats of those roots' trees (a new sub-chat, a deleted subtree); all of them when absent. */
  readonly chats?: readonly string[];
  /** Only these users; everyone when absent. */
  readonly users?: readonly string[];
}

/** A chat as the loader knows it, from `access_chats`. */
export interface LoadedChat {
  readonly id: string;
  readonly rootId: string;
  /** From the root down to the parent; empty for a root. */
  readonly ancestorIds: readonly string[];
  readonly ownerId: string;
  /** The root's workspace. */
  readonly workspaceId: string | null;
  readonly createdBy: EventRef;
  readonly deleted: boolean;
}

/**
 * The facts of one recompute, loaded in bulk: a handful of queries whatever
 * the number of pairs. {@link factsFor} then assembles libs/authz's
 * ChatAccessFacts for one pair exactly as the command side's loader
 * (libs/domain/chat/chat-access.ts) does from aggregate states: deleted
 * groups' entries and memberships left out, `chat.deleted` also set under a
 * deleted ancestor, workspace memberships unfiltered.
 */
export interface LoadedFacts {
  /** Every chat of the loaded roots' trees, deleted ones included. */
  readonly chats: ReadonlyMap<string, LoadedChat>;
  /** The loaded roots. */
  readonly roots: readonly LoadedChat[];
  /** Users who may hold something on the root's chats: everyone else certainly holds nothing. */
  candidatesOf(root: LoadedChat): Iterable<string>;
  factsFor(userId: string, chat: LoadedChat): ChatAccessFacts;
}

/**
 * The org roles that grant something by themselves (owner and admin): every
 * holder is a candidate on every chat. Read from the policy, so this loader
 * never restates which role grants what.
 */
const GRANTING_ORG_ROLES: readonly OrgRole[] = ORG_ROLES.filter(
  (role) => ACCESS_POLICY.orgRoles[role].length > 0,
);

type RefColumns<P extends string> = {
  [K in `${P}_event_id` | `${P}_position` | `${P}_occurred_at`]: string;
};

const refColumns = (prefix: string, alias = '') =>
  ['event_id', 'position', 'occurred_at'].map((c) => `${alias}${prefix}_${c}`).join(', ');

function refOf<P extends string>(row: RefColumns<P>, prefix: P): EventRef {
  const r = row as Record<string, string>;
  return {
    eventId: r[`${prefix}_event_id`]!,
    position: r[`${prefix}_position`]!,
    occurredAt: r[`${prefix}_occurred_at`]!,
  };
}

/** Rows turned into facts between two yields to the event loop: an org-wide load of a large org reads 100,000s. */
const ROWS_PER_YIELD = 5_000;

/** Calls `use` on every row, yielding to the event loop every {@link ROWS_PER_YIELD}: the API shares the process. */
async function eachRow<R>(rows: readonly R[], use: (row: R) => unknown): Promise<void> {
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % ROWS_PER_YIELD === 0) await yieldToEventLoop();
    use(rows[i]!);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Loads the facts for `scope` in the org the transaction is scoped to. With
 * `roots: 'all'` and `users`, only the roots where one of those users can be a
 * candidate are loaded (owner, ACL, group, workspace; or all of them when one
 * holds a granting org role); the caller still clears those users' rows on
 * every chat.
 */
export async function loadAccessFacts(
  client: pg.ClientBase,
  orgId: string,
  scope: AccessScope,
): Promise<LoadedFacts> {
  const users = scope.users;
  const settings = await loadSettings(client, orgId);

  // Org memberships: of the scope's users, or (when everyone) of the org's owners and admins
  // now and of the other candidates once they are known.
  const orgMembers = new Map<string, Membership<OrgRole>>();
  const addOrgMembers = (rows: Array<{ user_id: string; role: OrgRole } & RefColumns<'since'>>) =>
    eachRow(rows, (row) => orgMembers.set(row.user_id, { role: row.role, since: refOf(row, 'since') }));
  await addOrgMembers(
    (
      await client.query(
        `SELECT user_id, role, ${refColumns('since')} FROM ${ACCESS_ORG_MEMBERS_TABLE}
         WHERE org_id = $1 AND ${users ? 'user_id = ANY($2::uuid[])' : 'role = ANY($2::text[])'}`,
        [orgId, users ?? GRANTING_ORG_ROLES],
      )
    ).rows,
  );
  const granting = [...orgMembers].filter(([, m]) => GRANTING_ORG_ROLES.includes(m.role)).map(([id]) => id);

  const chats = await loadChats(client, orgId, scope, granting.length > 0);
  const roots = [...chats.values()].filter((chat) => chat.id === chat.rootId);
  const rootIds = roots.map((root) => root.id);

  // ACL entries of the roots, of users and of live groups only.
  const acl = new Map<string, AclEntry[]>();
  const aclRows = (
    await client.query<
      {
        chat_id: string;
        subject_kind: 'user' | 'group';
        subject_id: string;
        role: AclRole;
      } & RefColumns<'granted_by'>
    >(
      `SELECT a.chat_id, a.subject_kind, a.subject_id, a.role, ${refColumns('granted_by', 'a.')}
       FROM ${ACCESS_ACL_TABLE} a
       WHERE a.org_id = $1 AND a.chat_id = ANY($2::uuid[])
         AND (a.subject_kind = 'user' OR EXISTS (
           SELECT 1 FROM ${ACCESS_GROUPS_TABLE} g WHERE g.org_id = a.org_id AND g.group_id = a.subject_id))
       ORDER BY a.granted_by_position`,
      [orgId, rootIds],
    )
  ).rows;
  await eachRow(aclRows, (row) =>
    push(acl, row.chat_id, {
      subject: { kind: row.subject_kind, id: row.subject_id },
      role: row.role,
      grantedBy: refOf(row, 'granted_by'),
    }),
  );

  // Memberships of the groups those entries name (only live groups have members here).
  const groupIds = [...new Set(aclRows.filter((r) => r.subject_kind === 'group').map((r) => r.subject_id))];
  const groupMembers = new Map<string, Map<string, EventRef>>();
  if (groupIds.length > 0) {
    const { rows } = await client.query<{ group_id: string; user_id: string } & RefColumns<'since'>>(
      `SELECT group_id, user_id, ${refColumns('since')} FROM ${ACCESS_GROUP_MEMBERS_TABLE}
       WHERE org_id = $1 AND group_id = ANY($2::uuid[]) ${users ? 'AND user_id = ANY($3::uuid[])' : ''}`,
      users ? [orgId, groupIds, users] : [orgId, groupIds],
    );
    await eachRow(rows, (row) => {
      const members = groupMembers.get(row.group_id) ?? new Map<string, EventRef>();
      members.set(row.user_id, refOf(row, 'since'));
      groupMembers.set(row.group_id, members);
    });
  }

  // The roots' workspaces and their STORED memberships (libs/authz applies the settings).
  const workspaceIds = [...new Set(roots.flatMap((root) => root.workspaceId ?? []))];
  const workspaces = new Map<string, { archivedBy: EventRef | null }>();
  const workspaceMembers = new Map<string, Map<string, Membership<WorkspaceRole>>>();
  if (workspaceIds.length > 0) {
    const { rows } = await client.query<{ workspace_id: string } & RefColumns<'archived_by'>>(
      `SELECT workspace_id, ${refColumns('archived_by')} FROM ${ACCESS_WORKSPACES_TABLE}
       WHERE org_id = $1 AND workspace_id = ANY($2::uuid[])`,
      [orgId, workspaceIds],
    );
    for (const row of rows) {
      workspaces.set(row.workspace_id, {
        archivedBy: row.archived_by_event_id === null ? null : refOf(row, 'archived_by'),
      });
    }
    const members = await client.query<
      { workspace_id: string; user_id: string; role: WorkspaceRole } & RefColumns<'since'>
    >(
      `SELECT workspace_id, user_id, role, ${refColumns('since')} FROM ${ACCESS_WORKSPACE_MEMBERS_TABLE}
       WHERE org_id = $1 AND workspace_id = ANY($2::uuid[]) ${users ? 'AND user_id = ANY($3::uuid[])' : ''}`,
      users ? [orgId, workspaceIds, users] : [orgId, workspaceIds],
    );
    await eachRow(members.rows, (row) => {
      const byUser = workspaceMembers.get(row.workspace_id) ?? new Map<string, Membership<WorkspaceRole>>();
      byUser.set(row.user_id, { role: row.role, since: refOf(row, 'since') });
      workspaceMembers.set(row.workspace_id, byUser);
    });
  }

  const userFilter = users ? new Set(users) : null;
  const candidatesOf = (root: LoadedChat): Set<string> => {
    const candidates = new Set<string>([root.ownerId, ...granting]);
    for (const entry of acl.get(root.id) ?? []) {
      if (entry.subject.kind === 'user') candidates.add(entry.subject.id);
      else for (const userId of groupMembers.get(entry.subject.id)?.keys() ?? []) candidates.add(userId);
    }
    if (root.workspaceId !== null) {
      for (const userId of workspaceMembers.get(root.workspaceId)?.keys() ?? []) candidates.add(userId);
    }
    if (userFilter) for (const userId of candidates) if (!userFilter.has(userId)) candidates.delete(userId);
    return candidates;
  };

  if (!users) {
    // Everyone: the org memberships of the candidates not loaded yet. Every candidate of a root
    // is its owner, an ACL user, a member of an ACL group or of its workspace, and only the groups
    // and workspaces of loaded roots were loaded: so these are the candidates of every root, found
    // in one pass over the facts, where asking each root would visit a large org's members once
    // per root (millions of steps for an org-wide scope, all without yielding).
    const missing = new Set<string>();
    const add = (userId: string) => {
      if (!orgMembers.has(userId)) missing.add(userId);
    };
    for (const root of roots) add(root.ownerId);
    for (const row of aclRows) if (row.subject_kind === 'user') add(row.subject_id);
    for (const members of groupMembers.values()) for (const userId of members.keys()) add(userId);
    for (const members of workspaceMembers.values()) for (const userId of members.keys()) add(userId);
    if (missing.size > 0) {
      await addOrgMembers(
        (
          await client.query(
            `SELECT user_id, role, ${refColumns('since')} FROM ${ACCESS_ORG_MEMBERS_TABLE}
             WHERE org_id = $1 AND user_id = ANY($2::uuid[])`,
            [orgId, [...missing]],
          )
        ).rows,
      );
    }
  }

  const workspaceFacts = (root: LoadedChat, userId: string): ChatAccessFacts['workspace'] => {
    if (root.workspaceId === null) return null;
    const workspace = workspaces.get(root.workspaceId);
    // Workspaces are never deleted: a root in an unknown one is a gap in this projection's facts.
    if (!workspace) {
      throw new AccessFactsError(`chat ${root.id} is in workspace ${root.workspaceId}, which is unknown`);
    }
    return {
      id: root.workspaceId,
      archivedBy: workspace.archivedBy,
      membership: workspaceMembers.get(root.workspaceId)?.get(userId) ?? null,
    };
  };

  const factsFor = (userId: string, chat: LoadedChat): ChatAccessFacts => {
    const root = chats.get(chat.rootId);
    if (!root) throw new AccessFactsError(`the root ${chat.rootId} of chat ${chat.id} was not loaded`);
    const rootAcl = acl.get(root.id) ?? [];
    const membership = orgMembers.get(userId) ?? null;
    return {
      userId,
      org: { ...settings, membership },
      chat: {
        id: chat.id,
        rootId: chat.rootId,
        ownerId: chat.ownerId,
        // The root's own deletion goes in root.deleted; the chats strictly between count here.
        deleted: chat.deleted || chat.ancestorIds.slice(1).some((id) => chats.get(id)?.deleted === true),
      },
      root: {
        id: root.id,
        ownerId: root.ownerId,
        createdBy: root.createdBy,
        deleted: root.deleted,
        acl: rootAcl,
      },
      groupMemberships: rootAcl.flatMap(({ subject }) => {
        const since = subject.kind === 'group' ? groupMembers.get(subject.id)?.get(userId) : undefined;
        return since ? [{ groupId: subject.id, since }] : [];
      }),
      workspace: workspaceFacts(root, userId),
    };
  };

  return { chats, roots, candidatesOf, factsFor };
}

async function loadSettings(
  client: pg.ClientBase,
  orgId: string,
): Promise<{ chatSharingDisabled: boolean; workspaceSharingDisabled: boolean }> {
  const { rows } = await client.query<{
    chat_sharing_disabled: boolean;
    workspace_sharing_disabled: boolean;
  }>(
    `SELECT chat_sharing_disabled, workspace_sharing_disabled FROM ${ACCESS_ORG_SETTINGS_TABLE}
     WHERE org_id = $1`,
    [orgId],
  );
  const row = rows[0];
  return {
    chatSharingDisabled: row?.chat_sharing_disabled ?? false,
    workspaceSharingDisabled: row?.workspace_sharing_disabled ?? false,
  };
}

type ChatRow = {
  chat_id: string;
  root_chat_id: string;
  ancestor_ids: string[];
  owner_id: string;
  workspace_id: string | null;
  deleted: boolean;
} & RefColumns<'created'>;

/**
 * Every chat of the scope's roots' trees. For `roots: 'all'` with users of
 * whom none holds a granting org role, only the roots where one of them is
 * a candidate some other way.
 */
async function loadChats(
  client: pg.ClientBase,
  orgId: string,
  scope: AccessScope,
  someUserHoldsGrantingRole: boolean,
): Promise<Map<string, LoadedChat>> {
  const columns = `chat_id, root_chat_id, ancestor_ids, owner_id, workspace_id, deleted, ${refColumns('created')}`;
  let result: pg.QueryResult<ChatRow>;
  if (scope.roots !== 'all') {
    result = await client.query<ChatRow>(
      `SELECT ${columns} FROM ${ACCESS_CHATS_TABLE} WHERE org_id = $1 AND root_chat_id = ANY($2::uuid[])`,
      [orgId, scope.roots],
    );
  } else if (!scope.users || someUserHoldsGrantingRole) {
    result = await client.query<ChatRow>(`SELECT ${columns} FROM ${ACCESS_CHATS_TABLE} WHERE org_id = $1`, [
      orgId,
    ]);
  } else {
    result = await client.query<ChatRow>(
      `WITH roots AS (
         SELECT chat_id FROM ${ACCESS_CHATS_TABLE}
         WHERE org_id = $1 AND parent_chat_id IS NULL AND owner_id = ANY($2::uuid[])
         UNION
         SELECT chat_id FROM ${ACCESS_ACL_TABLE}
         WHERE org_id = $1 AND subject_kind = 'user' AND subject_id = ANY($2::uuid[])
         UNION
         SELECT a.chat_id FROM ${ACCESS_GROUP_MEMBERS_TABLE} gm
         JOIN ${ACCESS_ACL_TABLE} a
           ON a.org_id = gm.org_id AND a.subject_kind = 'group' AND a.subject_id = gm.group_id
         WHERE gm.org_id = $1 AND gm.user_id = ANY($2::uuid[])
         UNION
         SELECT r.chat_id FROM ${ACCESS_WORKSPACE_MEMBERS_TABLE} wm
         JOIN ${ACCESS_CHATS_TABLE} r
           ON r.org_id = wm.org_id AND r.workspace_id = wm.workspace_id AND r.parent_chat_id IS NULL
         WHERE wm.org_id = $1 AND wm.user_id = ANY($2::uuid[])
       )
       SELECT ${columns} FROM ${ACCESS_CHATS_TABLE}
       WHERE org_id = $1 AND root_chat_id IN (SELECT chat_id FROM roots)`,
      [orgId, scope.users],
    );
  }
  const chats = new Map<string, LoadedChat>();
  await eachRow(result.rows, (row) =>
    chats.set(row.chat_id, {
      id: row.chat_id,
      rootId: row.root_chat_id,
      ancestorIds: row.ancestor_ids,
      ownerId: row.owner_id,
      workspaceId: row.workspace_id,
      createdBy: refOf(row, 'created'),
      deleted: row.deleted,
    }),
  );
  return chats;
}
