import type pg from 'pg';
import { type Page, type PageRequest, toPage } from '../page.js';
import { ACL_EVENTS_TABLE } from './acl-history.projection.js';

/** A bound of the interval: a log position or an instant (ISO time). */
export type AclBound = { readonly position: string } | { readonly time: string };

export interface AclEventFilters {
  /** Exclusive: events after it. */
  readonly from?: AclBound;
  /** Inclusive: events up to it. */
  readonly to?: AclBound;
  /** Org, workspace, group or chat id. */
  readonly resource?: string;
  /** User or group id. */
  readonly subject?: string;
  readonly actor?: string;
}

export interface AclEventItem {
  readonly position: string;
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly actorId: string | null;
  readonly resource: { kind: string; id: string };
  readonly subject: { kind: string; id: string } | null;
  readonly before: unknown;
  readonly after: unknown;
}

/** The org's ACL history in log order, filtered, one page after `page.after` (a position). */
export async function listAclEvents(
  client: pg.ClientBase,
  orgId: string,
  filters: AclEventFilters,
  page: PageRequest,
): Promise<Page<AclEventItem>> {
  const bound = (b: AclBound | undefined, kind: 'position' | 'time') =>
    b && kind in b ? (b as Record<string, string>)[kind] : null;
  const { rows } = await client.query<{
    position: string;
    event_id: string;
    event_type: string;
    occurred_at: Date;
    actor_id: string | null;
    resource_kind: string;
    resource_id: string;
    subject_kind: string | null;
    subject_id: string | null;
    before: unknown;
    after: unknown;
  }>(
    `SELECT position, event_id, event_type, occurred_at, actor_id, resource_kind, resource_id,
            subject_kind, subject_id, before, after
       FROM ${ACL_EVENTS_TABLE}
      WHERE org_id = $1
        AND ($2::text IS NULL OR position > $2)
        AND ($3::text IS NULL OR position > $3)
        AND ($4::text IS NULL OR position <= $4)
        AND ($5::timestamptz IS NULL OR occurred_at > $5)
        AND ($6::timestamptz IS NULL OR occurred_at <= $6)
        AND ($7::uuid IS NULL OR resource_id = $7)
        AND ($8::uuid IS NULL OR subject_id = $8)
        AND ($9::text IS NULL OR actor_id = $9)
      ORDER BY position
      LIMIT $10`,
    [
      orgId,
      page.after,
      bound(filters.from, 'position'),
      bound(filters.to, 'position'),
      bound(filters.from, 'time'),
      bound(filters.to, 'time'),
      filters.resource ?? null,
      filters.subject ?? null,
      filters.actor ?? null,
      page.limit + 1,
    ],
  );
  return toPage(
    rows,
    page,
    (row) => row.position,
    (row) => ({
      position: row.position,
      eventId: row.event_id,
      type: row.event_type,
      occurredAt: row.occurred_at.toISOString(),
      actorId: row.actor_id,
      resource: { kind: row.resource_kind, id: row.resource_id },
      subject: row.subject_kind === null ? null : { kind: row.subject_kind, id: row.subject_id! },
      before: row.before,
      after: row.after,
    }),
  );
}
