/**
 * Whether an error says Postgres cannot be reached right now (down,
 * restarting, shutting down, the connection cut), rather than that a
 * statement was wrong: the first is worth a retry in a moment (the HTTP edge
 * answers 503 with Retry-After), the second is a failure of ours (500).
 *
 * - SQLSTATE class 08 (connection exception) and 57P01 admin shutdown,
 *   57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting
 *   down, in recovery);
 * - the socket errors of a server gone or never there: ECONNREFUSED,
 *   ECONNRESET, EPIPE, ETIMEDOUT;
 * - pg's own words for a connection that ended under it ("Connection
 *   terminated", "… unexpectedly", "… due to connection timeout"), for the
 *   next query on a client whose connection broke ("Client has encountered
 *   a connection error and is not queryable": a request's read transaction
 *   holds its client between statements, and the postmaster died between
 *   two), and the pool's "timeout exceeded when trying to connect".
 *
 * Errors are looked at through what wraps them: `cause` (EventStoreUnavailable
 * and the like), TypeORM's `driverError`, and AggregateError's `errors` (Node
 * tries every address of a host name and reports each refusal in one).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return someError(error, isConnectionFailure, 0);
}

const SHUTDOWN_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const CONNECTION_MESSAGES = [
  /^Connection terminated\b/,
  /^Client has encountered a connection error and is not queryable$/,
  /^timeout exceeded when trying to connect$/,
];
/** How deep wrappers are unwrapped; a chain of causes could loop. */
const MAX_DEPTH = 5;

function isConnectionFailure(error: object): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (/^08[0-9A-Z]{3}$/.test(code) || SHUTDOWN_SQLSTATES.has(code) || SOCKET_CODES.has(code)) return true;
  }
  return typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}

function someError(error: unknown, test: (error: object) => boolean, depth: number): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  if (test(error)) return true;
  const { cause, driverError, errors } = error as {
    cause?: unknown;
    driverError?: unknown;
    errors?: unknown;
  };
  if (someError(cause, test, depth + 1) || someError(driverError, test, depth + 1)) return true;
  return Array.isArray(errors) && errors.some((inner) => someError(inner, test, depth + 1));
}
