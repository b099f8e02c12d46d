import type pg from 'pg';
import {
  type AccessRow,
  accessRows,
  type AclRow,
  aclKey,
  aclRows,
  atPosition,
  chatKey,
  type ChatRow,
  chatRows,
  createdOrgId,
  diffAccess,
  diffRows,
  isoTime,
  replayOrg,
  type RowDifference,
} from '../../libs/audit/index.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore, type Position } from '../../libs/event-store/index.js';
import { withReadScope } from '../../libs/persistence/tenancy.js';
import { readCheckpoints } from '../../libs/projection-runtime/index.js';
import { CHAT_ACCESS_TABLE, chatAccessProjection } from '../../projections/chat-access/index.js';
import { CHAT_ACL_ENTRIES_TABLE, CHATS_TABLE, chatsProjection } from '../../projections/chats/index.js';
import {
  AuditCliError,
  type AuditIo,
  type AuditRuntime,
  orgEventCount,
  progress,
  resolveOrg,
} from './audit.js';

/** What verify found in one org: each read model compared at its own checkpoint. */
export interface OrgVerification {
  readonly orgId: string;
  /** The chat-access checkpoint, and its `chat_access` rows. */
  readonly position: Position;
  readonly rows: number;
  readonly differences: ReturnType<typeof diffAccess>;
  /** The chats projection: its checkpoint, its rows, and the differences of `chats` and `chat_acl_entries`. */
  readonly chats: {
    readonly position: Position;
    readonly rows: number;
    readonly aclEntries: number;
    readonly differences: Array<RowDifference<ChatRow> | RowDifference<AclRow>>;
  };
}

/**
 * `tenantry audit verify`: for each org in turn, the live rows of the
 * read models that hold access (`chat_access`; the `chats` projection's
 * chats and ACL entries) and their checkpoints are read in one snapshot, then
 * the org's log is replayed once, and each read model is compared with the
 * replay as it stood at that read model's checkpoint. Every difference is
 * listed; exit code 1 when there is any, 0 otherwise. One org's rows and
 * replay are in memory at a time.
 */
export async function auditVerify(
  runtime: AuditRuntime,
  options: { org?: string; all?: boolean },
  io: AuditIo,
): Promise<number> {
  if (!options.org === !options.all)
    throw new AuditCliError('invalid-arguments', 'give exactly one of --org or --all');
  const orgIds = options.org
    ? [await resolveOrg(runtime.eventStore, options.org)]
    : await allOrgs(runtime.eventStore);
  let differences = 0;
  const report: OrgVerification[] = [];
  for (const orgId of orgIds) {
    const verification = await verifyOrg(runtime, orgId, io);
    differences += verification.differences.length + verification.chats.differences.length;
    if (io.json) report.push(verification);
    else writeText(io, verification);
  }
  if (io.json) io.stdout.write(`${JSON.stringify({ ok: differences === 0, differences, orgs: report })}\n`);
  return differences === 0 ? 0 : 1;
}

async function verifyOrg(runtime: AuditRuntime, orgId: string, io: AuditIo): Promise<OrgVerification> {
  const live = await liveRows(runtime.appPool, orgId);
  const last = live.access.position > live.chats.position ? live.access.position : live.chats.position;
  const bar = progress(
    io,
    `verify ${orgId.slice(0, 8)}`,
    io.json || !io.stderr.isTTY ? 0 : await orgEventCount(runtime.eventStore, orgId, last),
  );
  let access: OrgVerification['differences'] = [];
  let chats: OrgVerification['chats']['differences'] = [];
  await replayOrg(runtime.eventStore, upcasters, orgId, atPosition(last), bar.tick, {
    positions: [live.access.position, live.chats.position],
    visit(position, world) {
      if (position === live.access.position) access = diffAccess(accessRows(world), live.access.rows);
      if (position === live.chats.position) {
        chats = [
          ...diffRows('chats', chatKey, chatRows(world), live.chats.rows),
          ...diffRows('chat_acl_entries', aclKey, aclRows(world), live.chats.acl),
        ];
      }
    },
  });
  bar.stop();
  return {
    orgId,
    position: live.access.position,
    rows: live.access.rows.length,
    differences: access,
    chats: {
      position: live.chats.position,
      rows: live.chats.rows.length,
      aclEntries: live.chats.acl.length,
      differences: chats,
    },
  };
}

function writeText(io: AuditIo, org: OrgVerification): void {
  const line = (text: string) => io.stdout.write(`${text}\n`);
  line(`org ${org.orgId} at ${org.position}: ${org.rows} rows, ${org.differences.length} differences`);
  for (const d of org.differences) {
    line(
      `  chat ${d.chatId} user ${d.userId}: replay ${describe(d.replayed)}, read model ${describe(d.live)}`,
    );
  }
  const { chats } = org;
  line(
    `org ${org.orgId} chats at ${chats.position}: ${chats.rows} chats, ${chats.aclEntries} ACL entries, ` +
      `${chats.differences.length} differences`,
  );
  for (const d of chats.differences) {
    if (!d.replayed || !d.live) {
      line(`  ${d.table} ${d.key}: ${d.replayed ? 'missing from the read model' : 'not in the replay'}`);
      continue;
    }
    const field = (row: object, name: string) => JSON.stringify((row as Record<string, unknown>)[name]);
    const fields = d.fields.map(
      (f) => `${f} replay ${field(d.replayed!, f)}, read model ${field(d.live!, f)}`,
    );
    line(`  ${d.table} ${d.key}: ${fields.join('; ')}`);
  }
}

function describe(access: { permissions: readonly string[]; writeBlocked: boolean } | null): string {
  if (!access) return 'nothing';
  return `${access.permissions.join(',')}${access.writeBlocked ? ' (writes blocked)' : ''}`;
}

async function allOrgs(eventStore: EventStore): Promise<string[]> {
  const orgs: string[] = [];
  for await (const event of eventStore.readAll()) {
    const orgId = createdOrgId(event);
    if (orgId) orgs.push(orgId);
  }
  return orgs;
}

interface LiveRows {
  readonly access: { readonly position: Position; readonly rows: AccessRow[] };
  readonly chats: { readonly position: Position; readonly rows: ChatRow[]; readonly acl: AclRow[] };
}

/** The org's rows of the compared read models and their checkpoints, from one snapshot under the tenant's RLS. */
async function liveRows(appPool: pg.Pool, orgId: string): Promise<LiveRows> {
  return withReadScope(
    appPool,
    { orgId },
    async (client) => {
      const names = [chatAccessProjection.name, chatsProjection.name];
      const checkpoints = await readCheckpoints(client, names);
      const [accessAt, chatsAt] = names.map((name) => {
        const checkpoint = checkpoints.get(name);
        if (!checkpoint) throw new AuditCliError('not-installed', `the ${name} projection is not installed`);
        return checkpoint.position;
      }) as [Position, Position];
      const access = await client.query<{
        chat_id: string;
        user_id: string;
        permissions: string[];
        write_blocked: boolean;
      }>(`SELECT chat_id, user_id, permissions, write_blocked FROM ${CHAT_ACCESS_TABLE} WHERE org_id = $1`, [
        orgId,
      ]);
      const chats = await liveChats(client, orgId);
      return {
        access: {
          position: accessAt,
          rows: access.rows.map((r) => ({
            chatId: r.chat_id,
            userId: r.user_id,
            permissions: r.permissions,
            writeBlocked: r.write_blocked,
          })),
        },
        chats: { position: chatsAt, ...chats },
      };
    },
    { oneSnapshot: true },
  );
}

/** The `chats` projection's rows of one org as verify compares them (the replay property test reads them too). */
export async function liveChats(
  client: pg.ClientBase,
  orgId: string,
): Promise<{ rows: ChatRow[]; acl: AclRow[] }> {
  const chats = await client.query<{
    chat_id: string;
    title: string;
    owner_id: string;
    root_chat_id: string;
    parent_chat_id: string | null;
    workspace_id: string | null;
    ancestor_ids: string[];
    created_position: string;
    created_at: Date;
    deleted_at: Date | null;
  }>(
    `SELECT chat_id, title, owner_id, root_chat_id, parent_chat_id, workspace_id, ancestor_ids,
            created_position, created_at, deleted_at
     FROM ${CHATS_TABLE} WHERE org_id = $1`,
    [orgId],
  );
  const acl = await client.query<{
    chat_id: string;
    subject_kind: 'user' | 'group';
    subject_id: string;
    role: string;
    granted_event_id: string;
    granted_position: string;
    granted_occurred_at: Date;
  }>(
    `SELECT chat_id, subject_kind, subject_id, role, granted_event_id, granted_position, granted_occurred_at
     FROM ${CHAT_ACL_ENTRIES_TABLE} WHERE org_id = $1`,
    [orgId],
  );
  return {
    rows: chats.rows.map((r) => ({
      chatId: r.chat_id,
      title: r.title,
      ownerId: r.owner_id,
      rootChatId: r.root_chat_id,
      parentChatId: r.parent_chat_id,
      workspaceId: r.workspace_id,
      ancestorIds: r.ancestor_ids,
      createdPosition: r.created_position,
      createdAt: isoTime(r.created_at),
      deletedAt: r.deleted_at && isoTime(r.deleted_at),
    })),
    acl: acl.rows.map((r) => ({
      chatId: r.chat_id,
      subjectKind: r.subject_kind,
      subjectId: r.subject_id,
      role: r.role,
      grantedEventId: r.granted_event_id,
      grantedPosition: r.granted_position,
      grantedOccurredAt: isoTime(r.granted_occurred_at),
    })),
  };
}
