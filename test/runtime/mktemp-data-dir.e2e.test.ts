import { type INestApplication } from '@nestjs/common';
import fs from 'node:fs/promises';
import { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../apps/api/create-app.js';
import { testHttpAdapter } from '../support/http-adapter.js';
import {
  createLogger,
  installProjections,
  type Projector,
  type Runtime,
  startProjector,
  startRuntime,
} from '../../libs/runtime/index.js';
import { resolveOperatorToken, type TenantryConfig } from '../../libs/config/index.js';

/**
 * `TENANTRY_DATA_DIR=$(mktemp -d) npm start` as root, in process and over
 * HTTP: the directory is 0700, and the embedded Postgres runs as the
 * `postgres` OS user. The service opens it (0711), says so, and serves. Only
 * as root does Postgres run as another user; test/runtime/server-process.test.ts
 * does the same with the built service in a child process.
 */
(process.getuid?.() === 0 ? describe : describe.skip)('a data dir made by mktemp -d, as root', () => {
  let root: string;
  let dataDir: string;
  let runtime: Runtime | undefined;
  let projector: Projector | undefined;
  let app: INestApplication | undefined;
  const logs: Array<{ msg: string; dataDir?: string; mode?: string }> = [];

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'tenantry-mktemp-'));
    await fs.chmod(root, 0o711); // /tmp's part: mktemp -d makes its directory under a traversable one
    dataDir = await fs.mkdtemp(path.join(root, 'tmp.'));
  });
  afterAll(async () => {
    await app?.close();
    await projector?.stop();
    await runtime?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('starts as npm start does, opens the directory to 0711 with a log line, and serves', async () => {
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
    const config: TenantryConfig = {
      port: 0,
      dataDir,
      operatorToken: undefined,
      databaseUrl: undefined,
      eventStoreUrl: undefined,
      logLevel: 'info',
      appDbPassword: undefined,
      projector: true,
      httpAdapter: testHttpAdapter(),
    };
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
    // In main.ts's order: the operator token lands in the directory before Postgres starts.
    const operatorToken = await resolveOperatorToken(config);
    runtime = await startRuntime(config, logger);
    await installProjections(runtime.database.ownerPool);
    projector = startProjector(runtime, logger);
    app = await createApp({
      ...runtime,
      logger,
      operatorToken: operatorToken.token,
      httpAdapter: config.httpAdapter,
    });
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o711);
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: expect.stringContaining('traversable'), dataDir, mode: '0711' }),
    );
    const created = await fetch(`${url}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ada@example.com', displayName: 'Ada' }),
    });
    expect(created.status).toBe(201);
    const position = created.headers.get('x-consistency-token')!;
    const { token } = (await created.json()) as { token: string };
    const me = await fetch(`${url}/v1/users/me`, {
      headers: { authorization: `Bearer ${token}`, 'x-consistency-token': position },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { displayName: string } }).user.displayName).toBe('Ada');
  });
});
