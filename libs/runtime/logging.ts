import { type DestinationStream, type Logger, pino } from 'pino';
import { type LogLevel } from '../config/index.js';

/**
 * Never logged: bearer tokens (DESIGN.md §4 allows only their hash and
 * 8-character prefix in logs) and cookies, wherever a headers object appears.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.headers.authorization',
  'headers.authorization',
  'authorization',
];

/**
 * Fields of database errors that quote data (issue 15): Postgres's `detail`
 * ("Failing row contains (…)", "Key (email)=(…)"), `where` (an excerpt of
 * the JSON it refused: an event, with its emails and message text), `hint`
 * and the internal query; TypeORM's `query` and `parameters`. They are
 * never logged; the code, the message and the names of the table, column
 * and constraint are enough to find the cause.
 */
const DATA_FIELDS = ['detail', 'where', 'hint', 'internalQuery', 'query', 'parameters'] as const;

/** A value Postgres quotes at the end of a message line (`invalid input syntax for type uuid: "…"`). */
const QUOTED_VALUE = /: ".*"$/gm;

/** pino's error serializer, without the data a database error carries (see DATA_FIELDS). */
export function serializeErrorSafely(error: unknown): unknown {
  // pino-http hands its serializers errors already through pino's serializer: plain objects.
  const serialized = error instanceof Error ? pino.stdSerializers.err(error) : error;
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const safe: Record<string, unknown> = { ...serialized };
  for (const field of DATA_FIELDS) delete safe[field];
  if ('driverError' in safe) safe.driverError = serializeErrorSafely(safe.driverError);
  for (const field of ['message', 'stack'] as const) {
    const text = safe[field];
    if (typeof text === 'string') safe[field] = text.replace(QUOTED_VALUE, ': "[redacted]"');
  }
  return safe;
}

/** The one logger of the process: JSON lines on stdout, at LOG_LEVEL. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      serializers: { err: serializeErrorSafely },
      base: { service: 'tenantry', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    // Synchronous by default: an asynchronous stdout lets a record written just before
    // process.exit overtake earlier ones, and would interleave with the startup banner.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
