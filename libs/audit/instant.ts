import { isPosition, type Position, type RecordedEvent } from '../event-store/index.js';

/**
 * The instant an audit question is asked about (DESIGN.md §9, §10 `asOf`,
 * `from`, `to`): a log position (the consistency token format) or an ISO-8601
 * time.
 *
 * - A position cuts every stream at the last event whose position is ≤ it:
 *   exact, since positions order the whole log.
 * - A time cuts each stream at the last event before the first one whose
 *   `occurredAt` (the command's clock, DESIGN.md §6) is later than it. Within a
 *   stream `occurredAt` follows the order of appends, because a stream's
 *   commands take turns; across streams two processes' clocks may disagree by
 *   their skew, which a time cannot resolve and a position can.
 */
export type Instant =
  | { readonly kind: 'position'; readonly position: Position }
  | { readonly kind: 'time'; readonly iso: string; readonly ms: number };

/** An ISO-8601 date-time with a zone (`Z` or `±hh:mm`), or a date alone (midnight UTC). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The instant a query parameter names, or null when it is neither a position nor an ISO time. */
export function parseInstant(value: unknown): Instant | null {
  if (typeof value !== 'string') return null;
  if (isPosition(value)) return { kind: 'position', position: value };
  if (!ISO_TIME.test(value)) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  return { kind: 'time', iso: new Date(ms).toISOString(), ms };
}

export function atPosition(position: Position): Instant {
  return { kind: 'position', position };
}

/** True when `event` happened at or before `instant`. */
export function includes(instant: Instant, event: RecordedEvent): boolean {
  return instant.kind === 'position'
    ? event.position <= instant.position
    : Date.parse(event.metadata.occurredAt) <= instant.ms;
}

/** How an answer names its instant. */
export function describeInstant(instant: Instant): { position: Position } | { time: string } {
  return instant.kind === 'position' ? { position: instant.position } : { time: instant.iso };
}
