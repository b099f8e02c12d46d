import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  loadConfig,
  readOperatorToken,
  resolveOperatorToken,
  tokenPrefix,
} from '../../libs/config/index.js';

const cwd = '/srv/tenantry';

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration from the environment', () => {
  it('has a default for everything (DESIGN.md §3)', () => {
    expect(loadConfig({}, cwd)).toEqual({
      port: 3000,
      dataDir: '/srv/tenantry/.data',
      operatorToken: undefined,
      databaseUrl: undefined,
      eventStoreUrl: undefined,
      logLevel: 'info',
      appDbPassword: undefined,
      projector: true,
      httpAdapter: 'fastify',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        PORT: '8080',
        TENANTRY_DATA_DIR: 'var/data',
        TENANTRY_OPERATOR_TOKEN: 'x'.repeat(43),
        DATABASE_URL: 'postgres://owner:pw@db:5432/tenantry',
        EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false',
        LOG_LEVEL: 'DEBUG',
        TENANTRY_APP_DB_PASSWORD: 'app-secret',
        TENANTRY_PROJECTOR: 'OFF',
        TENANTRY_HTTP_ADAPTER: 'Express',
      },
      cwd,
    );
    expect(config).toEqual({
      port: 8080,
      dataDir: '/srv/tenantry/var/data',
      operatorToken: 'x'.repeat(43),
      databaseUrl: 'postgres://owner:pw@db:5432/tenantry',
      eventStoreUrl: 'esdb://eventstore:2113?tls=false',
      logLevel: 'debug',
      appDbPassword: 'app-secret',
      projector: false,
      httpAdapter: 'express',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: ' ', LOG_LEVEL: '' }, cwd)).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      logLevel: 'info',
    });
  });

  it('accepts port 0 (the OS picks one)', () => {
    expect(loadConfig({ PORT: '0' }, cwd).port).toBe(0);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT/],
    [{ PORT: '70000' }, /^PORT/],
    [{ PORT: '-1' }, /^PORT/],
    [{ PORT: '80.5' }, /^PORT/],
    [{ LOG_LEVEL: 'verbose' }, /^LOG_LEVEL must be one of/],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL is not a valid URL/],
    [{ DATABASE_URL: 'mysql://db/x' }, /^DATABASE_URL must start with postgres:\/\//],
    [{ EVENTSTORE_URL: 'http://eventstore:2113' }, /^EVENTSTORE_URL must start with esdb:\/\//],
    [{ TENANTRY_OPERATOR_TOKEN: 'short' }, /^TENANTRY_OPERATOR_TOKEN must be at least 32 characters/],
    [{ TENANTRY_PROJECTOR: 'maybe' }, /^TENANTRY_PROJECTOR must be on or off/],
    [{ TENANTRY_HTTP_ADAPTER: 'koa' }, /^TENANTRY_HTTP_ADAPTER must be one of express, fastify/],
  ])('refuses %j', (env, message) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'loud', EVENTSTORE_URL: 'tcp://x' })).toHaveLength(3);
  });

  it('never echoes a URL that could hold a password', () => {
    for (const url of ['postgres//user:hunter2@db', 'mysql://user:hunter2@db/x']) {
      expect(problemsOf({ DATABASE_URL: url }).join('\n')).not.toContain('hunter2');
    }
  });
});

describe('the operator token', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-config-')), 'data');
  });
  afterEach(async () => {
    await fs.rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('is generated once: 32 random bytes in base64url, kept in a 0600 file, reused after', async () => {
    const config = loadConfig({ TENANTRY_DATA_DIR: dataDir });
    const first = await resolveOperatorToken(config);
    expect(first).toMatchObject({
      source: 'data-dir',
      created: true,
      file: path.join(dataDir, 'operator-token'),
    });
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await fs.stat(first.file!)).mode & 0o777).toBe(0o600);

    const second = await resolveOperatorToken(config);
    expect(second).toMatchObject({ token: first.token, created: false });
    expect(await readOperatorToken(config)).toMatchObject({ token: first.token, source: 'data-dir' });
  });

  it('is different in another data dir', async () => {
    const a = await resolveOperatorToken(loadConfig({ TENANTRY_DATA_DIR: path.join(dataDir, 'a') }));
    const b = await resolveOperatorToken(loadConfig({ TENANTRY_DATA_DIR: path.join(dataDir, 'b') }));
    expect(a.token).not.toBe(b.token);
  });

  it('comes from TENANTRY_OPERATOR_TOKEN when set, and then nothing is written', async () => {
    const token = 'operator-token-from-the-environment-0123456789';
    const config = loadConfig({ TENANTRY_DATA_DIR: dataDir, TENANTRY_OPERATOR_TOKEN: token });
    expect(await resolveOperatorToken(config)).toEqual({ token, source: 'environment', created: false });
    await expect(fs.access(dataDir)).rejects.toThrow();
  });

  it('is not created by readers (the CLI)', async () => {
    expect(await readOperatorToken(loadConfig({ TENANTRY_DATA_DIR: dataDir }))).toBeUndefined();
    await expect(fs.access(dataDir)).rejects.toThrow();
  });

  it('is shown in logs only as its first 8 characters', () => {
    expect(tokenPrefix('abcdefghijklmnop')).toBe('abcdefgh');
  });
});
