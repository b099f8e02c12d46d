import { afterEach, describe, expect, it } from '@jest/globals';
import net, { type AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { answerWhileClosing } from '../../apps/api/create-app.js';

/**
 * A request that reaches the API on a kept-alive connection once the server
 * has begun to close answers 503 problem+json with Retry-After
 * (apps/api/create-app.ts answerWhileClosing), like every error of the API,
 * not Fastify's own 503 body.
 */
let server: FastifyInstance | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Everything the server sends on one raw connection until it closes it. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const ended = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  const send = (path: string) => socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  return { send, ended, received: () => received };
}

describe('requests while the server closes', () => {
  it('answers one on a kept-alive connection 503 problem+json with Retry-After', async () => {
    const fastify = Fastify({ return503OnClosing: false });
    server = fastify;
    answerWhileClosing(fastify);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    fastify.get('/slow', async () => {
      await held;
      return { ok: true };
    });
    fastify.get('/fast', async () => ({ ok: true }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fastify.server.address() as AddressInfo;
    // The second request comes in on the first's connection, busy (so kept open) while the server closes.
    const connection = rawConnection(port);
    connection.send('/slow');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = fastify.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    connection.send('/fast');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const [first, second] = (await connection.ended).split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(JSON.parse(second!.slice(second!.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 503,
      code: 'SERVICE.SHUTTING_DOWN',
    });
    await closed;
    server = undefined;
  });
});
