import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { EXIT, projectionsRebuild } from '../../apps/cli/projections.js';
import { streams } from '../../libs/domain/streams.js';
import { type NewEvent } from '../../libs/event-store/index.js';
import { PROJECTIONS } from '../../projections/index.js';
import { type ApiAnswer, type E2eApp, startE2eApp } from '../e2e/support/e2e-app.js';

/**
 * The rebuild's speed over a log of more than 20,000 events (issue 14 asks
 * for the figure): an org made over HTTP, then 16,000 messages and 4,000
 * share changes (each a chat-access recompute) appended to the log, then
 * `projections rebuild all`. It prints events/s; it fails if a projection
 * does not switch in or the rebuilt rows differ from the live ones.
 */
const MESSAGES = 16_000;
const SHARES = 4_000;
const CHATS = 20;

describe('rebuild throughput', () => {
  let app: E2eApp;
  afterAll(async () => app?.close());

  it(`rebuilds every projection over ${MESSAGES + SHARES}+ events and reports events/s`, async () => {
    app = await startE2eApp();
    const olga = await app.registerUser('Olga');
    const bob = await app.registerUser('Bob');
    const call = async (method: string, url: string, body?: unknown): Promise<ApiAnswer> => {
      const answer = await app.request(method, url, {
        token: olga.token,
        ...(body === undefined ? {} : { body }),
      });
      if (answer.status >= 300) throw new Error(`${method} ${url}: ${answer.status}`);
      return answer;
    };
    const orgId: string = (await call('POST', '/v1/orgs', { slug: `bulk-${Date.now()}`, name: 'Bulk' })).body
      .org.id;
    await call('PUT', `/v1/orgs/${orgId}/members/${bob.id}`, { role: 'member' });
    const chatIds: string[] = [];
    for (let i = 0; i < CHATS; i++)
      chatIds.push((await call('POST', `/v1/orgs/${orgId}/chats`, { title: `c${i}` })).body.chat.id);
    await app.catchUp();
    await call('GET', `/v1/orgs/${orgId}/chats`);
    await app.stopProjector();

    const metadata = () => ({
      eventId: randomUUID(),
      orgId,
      actorId: olga.id,
      correlationId: randomUUID(),
      causationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    });
    const perChat = MESSAGES / CHATS;
    for (const chatId of chatIds) {
      for (let from = 0; from < perChat; from += 400) {
        const batch: NewEvent[] = [];
        for (let i = from; i < Math.min(perChat, from + 400); i++) {
          batch.push({
            type: 'ChatMessagePosted',
            data: { orgId, chatId, messageId: randomUUID(), authorId: olga.id, body: `message ${i}` },
            metadata: metadata(),
          });
        }
        await app.eventStore.append(streams.chatMessages(orgId, chatId), batch, 'any');
      }
      const shares: NewEvent[] = [];
      for (let i = 0; i < SHARES / CHATS; i++) {
        shares.push({
          type: 'ChatShared',
          data: {
            orgId,
            chatId,
            subject: { kind: 'user', id: bob.id },
            role: i % 2 === 0 ? 'viewer' : 'editor',
            previousRole: i === 0 ? null : i % 2 === 0 ? 'editor' : 'viewer',
          },
          metadata: metadata(),
        });
      }
      await app.eventStore.append(streams.chat(orgId, chatId), shares, 'any');
    }
    const total = (await app.allEvents()).length;
    expect(total).toBeGreaterThanOrEqual(MESSAGES + SHARES);

    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    expect(
      await projectionsRebuild(
        {
          eventStore: app.eventStore,
          ownerPool: app.database.ownerPool,
          appPool: app.database.appPool,
          logger: pino({ level: 'silent' }),
        },
        'all',
        {},
        { stdout, stderr: new PassThrough(), json: true },
      ),
    ).toBe(EXIT.ok);
    const summary = JSON.parse(text) as {
      rebuilt: Array<{ name: string; eventsThisRun: number; seconds: number }>;
      seconds: number;
    };
    expect(summary.rebuilt.map((r) => r.name)).toEqual(PROJECTIONS.map((p) => p.name));
    for (const r of summary.rebuilt) expect(r.eventsThisRun).toBe(total);
    const figures = summary.rebuilt.map((r) => `${r.name} ${Math.round(r.eventsThisRun / r.seconds)} ev/s`);
    process.stderr.write(
      `rebuild all over ${total} events: ${summary.seconds.toFixed(1)} s, ` +
        `${Math.round((total * summary.rebuilt.length) / summary.seconds)} projection-events/s, ` +
        `${Math.round(total / summary.seconds)} log events/s for all ${summary.rebuilt.length}; ${figures.join(', ')}\n`,
    );

    const { rows } = await app.database.ownerPool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM read_model.messages',
    );
    expect(rows[0]!.count).toBe(MESSAGES);
    // Bob ends as editor on every chat (the last share of each is editor), as a replay would say.
    const { rows: access } = await app.database.ownerPool.query<{ permissions: string[] }>(
      'SELECT permissions FROM read_model.chat_access WHERE user_id = $1',
      [bob.id],
    );
    expect(access).toHaveLength(CHATS);
    expect(new Set(access.map((a) => a.permissions.join(',')))).toEqual(new Set(['read,write']));
  }, 600_000);
});
