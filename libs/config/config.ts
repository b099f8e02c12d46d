import path from 'node:path';

/** Levels pino understands; LOG_LEVEL must be one of them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The HTTP servers Nest can run the API on (TENANTRY_HTTP_ADAPTER). */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/**
 * Everything Tenantry reads from its environment (DESIGN.md §3), parsed once
 * at startup. Each setting has a default that works with no setup.
 */
export interface TenantryConfig {
  /** HTTP port. 0 asks the OS for a free one (the URL printed at start tells which). */
  readonly port: number;
  /** Absolute path of the data directory: embedded Postgres, its secrets, the operator token. */
  readonly dataDir: string;
  /** Operator bearer token from the environment; unset: generated once and kept in the data dir. */
  readonly operatorToken: string | undefined;
  /** External Postgres (its user acts as the owner role); unset: embedded Postgres. */
  readonly databaseUrl: string | undefined;
  /** `esdb://…` selects EventStoreDB; unset: the Postgres event store. */
  readonly eventStoreUrl: string | undefined;
  readonly logLevel: LogLevel;
  /** Password of the `tenantry_app` role on an external Postgres (DATABASE_URL); unset: none. */
  readonly appDbPassword: string | undefined;
  /**
   * TENANTRY_PROJECTOR: whether the API runs the projector in its own
   * process (`on`, the default) or leaves it to a projector process
   * (`off`: API replicas, the scale-out path).
   */
  readonly projector: boolean;
  /** TENANTRY_HTTP_ADAPTER: `fastify` (the default) or `express` (README, "HTTP: Fastify or Express"). */
  readonly httpAdapter: HttpAdapterName;
}

/** A bad environment: every problem found, one per line, so one restart fixes them all. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Operator tokens below this length are refused: the generated ones are 43 characters (32 bytes). */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;

/**
 * Parses the environment. An empty variable counts as unset (docker-compose
 * writes `VAR=` for a variable it has no value for). Relative paths resolve
 * against `cwd`.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): TenantryConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };

  const port = parsePort(value('PORT'), problems);
  const dataDir = path.resolve(cwd, value('TENANTRY_DATA_DIR') ?? '.data');

  const operatorToken = value('TENANTRY_OPERATOR_TOKEN');
  if (operatorToken !== undefined && operatorToken.length < MIN_OPERATOR_TOKEN_LENGTH) {
    problems.push(
      `TENANTRY_OPERATOR_TOKEN must be at least ${MIN_OPERATOR_TOKEN_LENGTH} characters (got ${operatorToken.length}); ` +
        'unset it to have one generated',
    );
  }

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl !== undefined)
    checkUrl('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:'], problems);

  const eventStoreUrl = value('EVENTSTORE_URL');
  if (eventStoreUrl !== undefined) {
    checkUrl('EVENTSTORE_URL', eventStoreUrl, ['esdb:', 'esdb+discover:'], problems);
  }

  const logLevel = (value('LOG_LEVEL')?.toLowerCase() ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${value('LOG_LEVEL')}")`);
  }

  const projectorSetting = value('TENANTRY_PROJECTOR')?.toLowerCase() ?? 'on';
  if (projectorSetting !== 'on' && projectorSetting !== 'off') {
    problems.push(`TENANTRY_PROJECTOR must be on or off (got "${value('TENANTRY_PROJECTOR')}")`);
  }

  const httpAdapter = (value('TENANTRY_HTTP_ADAPTER')?.toLowerCase() ?? 'fastify') as HttpAdapterName;
  if (!HTTP_ADAPTERS.includes(httpAdapter)) {
    problems.push(
      `TENANTRY_HTTP_ADAPTER must be one of ${HTTP_ADAPTERS.join(', ')} (got "${value('TENANTRY_HTTP_ADAPTER')}")`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    dataDir,
    operatorToken,
    databaseUrl,
    eventStoreUrl,
    logLevel,
    appDbPassword: value('TENANTRY_APP_DB_PASSWORD'),
    projector: projectorSetting === 'on',
    httpAdapter,
  };
}

function parsePort(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 3000;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    problems.push(`PORT must be an integer from 0 to 65535 (got "${raw}")`);
  }
  return port;
}

function checkUrl(name: string, raw: string, protocols: readonly string[], problems: string[]): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value may hold a password: name the variable, never echo it.
    problems.push(`${name} is not a valid URL`);
    return;
  }
  if (!protocols.includes(url.protocol)) {
    problems.push(
      `${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${url.protocol}//)`,
    );
  }
}
