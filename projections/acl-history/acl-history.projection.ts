import type pg from 'pg';
import { type ChatEvent } from '../../libs/domain/chat/chat.events.js';
import { type GroupEvent } from '../../libs/domain/group/group.events.js';
import { type OrganizationEvent } from '../../libs/domain/organization/organization.events.js';
import { type WorkspaceEvent } from '../../libs/domain/workspace/workspace.events.js';
import { READ_MODEL_SCHEMA, tenantTableSql } from '../../libs/persistence/index.js';
import { type ProjectedEvent, type Projection } from '../../libs/projection-runtime/projection.js';

export const ACL_EVENTS_TABLE = `${READ_MODEL_SCHEMA}.acl_events`;

/**
 * The ACL history of every org (DESIGN.md §9): one row per event that
 * changes who may do what: shares and unshares; org, workspace and group
 * memberships and role changes; the sharing switches; archive and unarchive;
 * chat and group deletion. Each row names its position, time, actor, the
 * resource (org, workspace, group or chat), the subject (a user or group,
 * when there is one) and the state before and after, as the event records
 * them. Rows are only ever inserted: the history is the log's, filtered.
 */
const schemaSql = `
  CREATE TABLE ${ACL_EVENTS_TABLE} (
    org_id        uuid        NOT NULL,
    position      text        COLLATE "C" NOT NULL,
    event_id      uuid        NOT NULL,
    event_type    text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    actor_id      text,
    resource_kind text        NOT NULL,
    resource_id   uuid        NOT NULL,
    subject_kind  text,
    subject_id    uuid,
    before        jsonb,
    after         jsonb,
    PRIMARY KEY (org_id, position)
  );
  CREATE INDEX acl_events_by_resource ON ${ACL_EVENTS_TABLE} (org_id, resource_id, position);
  CREATE INDEX acl_events_by_subject ON ${ACL_EVENTS_TABLE} (org_id, subject_id, position);
  CREATE INDEX acl_events_by_actor ON ${ACL_EVENTS_TABLE} (org_id, actor_id, position);
  ${tenantTableSql(ACL_EVENTS_TABLE)}`;

export interface AclEntryRow {
  readonly resource: { readonly kind: 'org' | 'workspace' | 'group' | 'chat'; readonly id: string };
  readonly subject: { readonly kind: 'user' | 'group'; readonly id: string } | null;
  readonly before: object | null;
  readonly after: object | null;
}

type AclEvent = OrganizationEvent | GroupEvent | WorkspaceEvent | ChatEvent;
type Describe<E extends AclEvent> = (data: E['data']) => AclEntryRow | null;

const user = (id: string) => ({ kind: 'user' as const, id });

/**
 * What each event means in the history; null for events that change no
 * access (creations, renames, messages). One entry per event type of the
 * four aggregates, so a new event type fails to compile until it is placed.
 */
const describe: { readonly [T in AclEvent['type']]: Describe<Extract<AclEvent, { type: T }>> } = {
  OrganizationCreated: () => null,
  OrgMemberAdded: (d) => ({
    resource: { kind: 'org', id: d.orgId },
    subject: user(d.userId),
    before: null,
    after: { role: d.role },
  }),
  MemberRoleChanged: (d) => ({
    resource:
      d.scope === 'organization' ? { kind: 'org', id: d.orgId } : { kind: 'workspace', id: d.workspaceId },
    subject: user(d.userId),
    before: { role: d.previousRole },
    after: { role: d.role },
  }),
  OrgMemberRemoved: (d) => ({
    resource: { kind: 'org', id: d.orgId },
    subject: user(d.userId),
    before: { role: d.previousRole },
    after: null,
  }),
  OrgSettingsChanged: (d) => ({
    resource: { kind: 'org', id: d.orgId },
    subject: null,
    before: d.previous,
    after: d.settings,
  }),
  GroupCreated: () => null,
  GroupMemberAdded: (d) => ({
    resource: { kind: 'group', id: d.groupId },
    subject: user(d.userId),
    before: { member: false },
    after: { member: true },
  }),
  GroupMemberRemoved: (d) => ({
    resource: { kind: 'group', id: d.groupId },
    subject: user(d.userId),
    before: { member: true },
    after: { member: false },
  }),
  GroupDeleted: (d) => ({
    resource: { kind: 'group', id: d.groupId },
    subject: null,
    before: { deleted: false },
    after: { deleted: true },
  }),
  WorkspaceCreated: () => null,
  WorkspaceMemberAdded: (d) => ({
    resource: { kind: 'workspace', id: d.workspaceId },
    subject: user(d.userId),
    before: null,
    after: { role: d.role },
  }),
  WorkspaceMemberRemoved: (d) => ({
    resource: { kind: 'workspace', id: d.workspaceId },
    subject: user(d.userId),
    before: { role: d.previousRole },
    after: null,
  }),
  WorkspaceArchived: (d) => ({
    resource: { kind: 'workspace', id: d.workspaceId },
    subject: null,
    before: { archived: false },
    after: { archived: true },
  }),
  WorkspaceUnarchived: (d) => ({
    resource: { kind: 'workspace', id: d.workspaceId },
    subject: null,
    before: { archived: true },
    after: { archived: false },
  }),
  ChatCreated: () => null,
  ChatRenamed: () => null,
  ChatShared: (d) => ({
    resource: { kind: 'chat', id: d.chatId },
    subject: d.subject,
    before: d.previousRole === null ? null : { role: d.previousRole },
    after: { role: d.role },
  }),
  ChatUnshared: (d) => ({
    resource: { kind: 'chat', id: d.chatId },
    subject: d.subject,
    before: { role: d.previousRole },
    after: null,
  }),
  ChatDeleted: (d) => ({
    resource: { kind: 'chat', id: d.chatId },
    subject: null,
    before: { deleted: false },
    after: { deleted: true },
  }),
  ChatMessagePosted: () => null,
};

/** The org's ACL history (DESIGN.md §9, GET …/audit/acl-events). */
export const aclHistoryProjection: Projection = {
  name: 'acl-history',
  version: 1,
  schemaSql,
  tables: [ACL_EVENTS_TABLE],
  async apply(client: pg.ClientBase, event: ProjectedEvent) {
    if (event.orgId === null || !Object.hasOwn(describe, event.type)) return;
    const entry = (describe[event.type as AclEvent['type']] as Describe<AclEvent>)(
      event.data as AclEvent['data'],
    );
    if (!entry) return;
    await client.query(
      `INSERT INTO ${ACL_EVENTS_TABLE} (org_id, position, event_id, event_type, occurred_at, actor_id,
         resource_kind, resource_id, subject_kind, subject_id, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        event.orgId,
        event.ref.position,
        event.ref.eventId,
        event.type,
        event.ref.occurredAt,
        event.actorId,
        entry.resource.kind,
        entry.resource.id,
        entry.subject?.kind ?? null,
        entry.subject?.id ?? null,
        entry.before === null ? null : JSON.stringify(entry.before),
        entry.after === null ? null : JSON.stringify(entry.after),
      ],
    );
  },
};
