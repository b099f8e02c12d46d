import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type Page, type PageRequest } from '../../../projections/page.js';
import { ProblemError } from './problem-details.js';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;

/** What every list answers (DESIGN.md §10). */
export interface ListAnswer<Item> {
  readonly items: Item[];
  readonly nextCursor: string | null;
}

/**
 * `?limit=` (1–200, default 50) and `?cursor=` of a list route, as a
 * PageRequest; 400 naming the parameter otherwise. The cursor is opaque to
 * clients: the base64url of the last key seen, versioned so its format can
 * change without old cursors being misread.
 */
export const PageParams = createParamDecorator((_: unknown, context: ExecutionContext): PageRequest => {
  const query = context.switchToHttp().getRequest<{ query: Record<string, unknown> }>().query;
  return parsePageRequest(query.limit, query.cursor);
});

export function parsePageRequest(limit: unknown, cursor: unknown): PageRequest {
  return { limit: parseLimit(limit), after: cursor === undefined ? null : decodeCursor(cursor) };
}

export function toListAnswer<Item>(page: Page<Item>): ListAnswer<Item> {
  return { items: page.items, nextCursor: page.next === null ? null : encodeCursor(page.next) };
}

const CURSOR_VERSION = 'v1:';
/**
 * Every key a list pages by is a position (`0000000000000a3f-00000000000131c2`)
 * or a slug: anything else (a NUL, bytes that are no UTF-8) is no cursor of
 * ours, and must be a 400 rather than reach Postgres.
 */
const PAGE_KEY = /^[a-z0-9-]{1,200}$/;

export function encodeCursor(key: string): string {
  return Buffer.from(CURSOR_VERSION + key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: unknown): string {
  if (typeof cursor === 'string' && /^[A-Za-z0-9_-]{1,400}$/.test(cursor)) {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const key = text.startsWith(CURSOR_VERSION) ? text.slice(CURSOR_VERSION.length) : '';
    if (PAGE_KEY.test(key)) return key;
  }
  throw invalid('cursor', 'is not a cursor this API returned');
}

function parseLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (typeof limit === 'string' && /^\d{1,4}$/.test(limit)) {
    const value = Number(limit);
    if (value >= 1 && value <= MAX_PAGE_LIMIT) return value;
  }
  throw invalid('limit', `must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
}

/** `?flag=true|false` (absent: false); 400 naming it otherwise. */
export function parseBooleanQuery(name: string, value: unknown): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw invalid(name, 'must be true or false');
}

function invalid(field: string, message: string): ProblemError {
  return ProblemError.of(400, 'REQUEST.INVALID', `${field} ${message}`, [{ field, message }]);
}
