import type { Logger } from 'pino';
import { type Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's messages through our logger instead of its console loggers.
 * Queries are not logged (their parameters may hold tokens' hashes and user
 * data); failed queries only at debug, since the callers turn the expected
 * ones (unique violations) into answers.
 */
export class PinoTypeOrmLogger implements TypeOrmLogger {
  constructor(private readonly logger: Logger) {}

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    this.logger.debug({ component: 'typeorm', query, err: error }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ component: 'typeorm', query, durationMs: time }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug({ component: 'typeorm' }, message);
  }

  logMigration(message: string): void {
    this.logger.info({ component: 'migrations' }, message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = String(message);
    // A connection ended by a Postgres shutdown is routine (see the pools in database.ts).
    const routine = text.includes('terminating connection due to administrator command');
    this.logger[level === 'warn' && !routine ? 'warn' : 'debug']({ component: 'typeorm' }, text);
  }
}
