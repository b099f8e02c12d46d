/**
 * A global log position: an opaque string that sorts like the log.
 *
 * Both adapters encode a pair of unsigned 64-bit integers as two fixed-width
 * hex fields, `hhhhhhhhhhhhhhhh-hhhhhhhhhhhhhhhh`, so plain string comparison
 * orders positions (in SQL too) and clients can send one back unchanged as a
 * consistency token. The pair means (transaction id, sequence) in the Postgres
 * adapter and (commit, prepare) in the EventStoreDB adapter; nobody outside an
 * adapter may rely on that.
 */
export type Position = string & { readonly __brand: 'Position' };

const FIELD_WIDTH = 16;
const POSITION_PATTERN = /^[0-9a-f]{16}-[0-9a-f]{16}$/;

/** The position before the first event. Nothing is ever recorded at it. */
export const START: Position = encodePosition(0n, 0n);

export function encodePosition(high: bigint, low: bigint): Position {
  if (high < 0n || low < 0n) throw new RangeError('position fields are unsigned');
  return `${high.toString(16).padStart(FIELD_WIDTH, '0')}-${low.toString(16).padStart(FIELD_WIDTH, '0')}` as Position;
}

export function decodePosition(position: Position): { high: bigint; low: bigint } {
  const [high, low] = position.split('-') as [string, string];
  return { high: BigInt(`0x${high}`), low: BigInt(`0x${low}`) };
}

/** True for a well-formed position; use it before trusting a client's consistency token. */
export function isPosition(value: unknown): value is Position {
  return typeof value === 'string' && POSITION_PATTERN.test(value);
}

export function parsePosition(value: string): Position {
  if (!isPosition(value)) throw new TypeError(`not a log position: ${JSON.stringify(value)}`);
  return value;
}

export function comparePositions(a: Position, b: Position): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxPosition(a: Position, b: Position): Position {
  return a >= b ? a : b;
}
