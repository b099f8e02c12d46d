import type pg from 'pg';
import { READ_MODEL_SCHEMA, tenantTableSql } from '../../../libs/persistence/tenancy.js';
import { type ProjectedEvent, type Projection } from '../../../libs/projection-runtime/projection.js';

/**
 * The projection the runtime tests run: one row per event of an org, in a
 * tenant table of its own (RLS forced, so a row lands only if the runner
 * set the event's tenant). No uniqueness on the event: a duplicate must
 * show up as a second row, not hide behind a constraint.
 *
 * `beforeApply` lets a test make an event fail, fail for a while, or take
 * time; `appliedBy` tags rows with the runner that wrote them.
 */
export interface EventLogOptions {
  readonly name: string;
  readonly version?: number;
  readonly appliedBy?: string;
  readonly beforeApply?: (event: ProjectedEvent) => Promise<void> | void;
}

export interface EventLogProjection extends Projection {
  readonly table: string;
}

export function eventLogProjection(options: EventLogOptions): EventLogProjection {
  const table = `${READ_MODEL_SCHEMA}.${options.name}`;
  return {
    name: options.name,
    version: options.version ?? 1,
    table,
    tables: [table],
    schemaSql: `
      CREATE TABLE ${table} (
        id         bigserial PRIMARY KEY,
        org_id     uuid NOT NULL,
        event_id   uuid NOT NULL,
        position   text NOT NULL,
        type       text NOT NULL,
        applied_by text NOT NULL
      );
      ${tenantTableSql(table)}`,
    async apply(client: pg.ClientBase, event: ProjectedEvent): Promise<void> {
      if (event.orgId === null) return;
      await options.beforeApply?.(event);
      await client.query(
        `INSERT INTO ${table} (org_id, event_id, position, type, applied_by) VALUES ($1, $2, $3, $4, $5)`,
        [event.orgId, event.ref.eventId, event.ref.position, event.type, options.appliedBy ?? 'runner'],
      );
    },
  };
}
