import type pg from 'pg';
import { type Projection } from './projection.js';

/**
 * Where a rebuild builds (rebuild.ts): one schema per projection,
 * `projection_build_<name>`, holding the projection's tables under their
 * own names. Only one rebuild of a projection runs at a time (its build
 * lock), so one schema per projection is enough.
 */
export function buildSchemaName(projectionName: string): string {
  return `projection_build_${projectionName.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
}

/** Where a switch parks the old version's tables for the instant before it drops them. */
export function retiredSchemaName(projectionName: string): string {
  return `projection_retired_${projectionName.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
}

/** `read_model.chats` → { schema: 'read_model', table: 'chats' }. */
export function splitTableName(qualified: string): { schema: string; table: string } {
  const dot = qualified.indexOf('.');
  if (dot < 0) throw new Error(`projection table ${qualified} is not schema-qualified`);
  return { schema: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
}

/**
 * Rewrites SQL so that each of the projection's tables (as listed in
 * `projection.tables`) names its twin in `schema`. Only whole, listed names
 * are rewritten (`read_model.chats` but not `read_model.chats_x`, nor
 * another projection's table). Index, constraint and policy names are not
 * schema-qualified in DDL, and land in their table's schema: no clash.
 */
export function tableRedirect(projection: Projection, schema: string): (sql: string) => string {
  const names = [...projection.tables].sort((a, b) => b.length - a.length);
  if (names.length === 0) return (sql) => sql;
  const pattern = new RegExp(`(?<![\\w.])(${names.map(escapeRegExp).join('|')})(?!\\w)`, 'g');
  return (sql) => sql.replace(pattern, (name) => `${schema}.${splitTableName(name).table}`);
}

/**
 * The client a projection applies with during a rebuild: every statement's
 * table names pointed at the side schema, everything else as is. The
 * projection's code is the same code the live runner runs.
 */
export function redirectedClient(client: pg.ClientBase, rewrite: (sql: string) => string): pg.ClientBase {
  const query = (config: unknown, ...rest: unknown[]) => {
    if (typeof config === 'string')
      return (client.query as (...a: unknown[]) => unknown)(rewrite(config), ...rest);
    if (config && typeof config === 'object' && 'text' in config) {
      const withText = config as { text: string };
      return (client.query as (...a: unknown[]) => unknown)(
        { ...withText, text: rewrite(withText.text) },
        ...rest,
      );
    }
    return (client.query as (...a: unknown[]) => unknown)(config, ...rest);
  };
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query') return query;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
