import { randomUUID } from 'node:crypto';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { type CommandBus } from '@nestjs/cqrs';
import pg from 'pg';
import { ChangeChatCommand, CreateChatCommand } from '../../libs/application/index.js';
import { PostChatMessageCommand } from '../../libs/application/index.js';
import { SetOrgMemberRoleCommand } from '../../libs/application/index.js';
import { DomainError } from '../../libs/domain/kernel/index.js';
import { ANY, type NewEvent } from '../../libs/event-store/index.js';
import { EVENT_STORE_SCHEMA_SQL } from '../../libs/event-store/postgres/schema.js';
import { PostgresEventStore } from '../../libs/event-store/postgres/postgres-event-store.js';
import { type HistoryManifest, type OrgManifest } from '../generate/history.js';
import { type BenchEnvironment, contextFor } from '../support/environment.js';
import {
  median,
  percentile,
  runClosedLoop,
  sequentialLatencies,
  withEventLoopDelay,
} from '../support/measure.js';
import { figure, type Figure } from './figure.js';

export interface WriteSideBench {
  readonly env: BenchEnvironment;
  readonly manifest: HistoryManifest;
  readonly commands: CommandBus;
  readonly seconds: number;
  readonly samples: number;
}

const CONCURRENCY = 32;

/** A ChatRenamed-shaped event: what B1's baseline inserts and B2's appenders append. */
function sampleEvent(orgId: string): NewEvent {
  const id = randomUUID();
  return {
    type: 'ChatRenamed',
    data: { orgId, chatId: id, title: `renamed ${id.slice(0, 8)}`, previousTitle: 'chat' },
    metadata: {
      eventId: id,
      orgId,
      actorId: randomUUID(),
      correlationId: id,
      causationId: id,
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

/** B1: commands through the command bus, 32 concurrent, beside raw INSERTs of the same rows. */
export async function commandThroughput(bench: WriteSideBench): Promise<Figure> {
  const org = bench.manifest.largest;
  const [load, eventLoop] = await withEventLoopDelay(() =>
    runClosedLoop(CONCURRENCY, bench.seconds, (worker, i) => {
      const chatId = org.writableChatIds[(worker * 7919 + i * 31) % org.writableChatIds.length]!;
      return bench.commands.execute(
        new ChangeChatCommand(
          org.orgId,
          chatId,
          { type: 'RenameChat', title: `b1 ${worker}-${i}` },
          contextFor(org.ownerId),
        ),
      );
    }),
  );

  const url = await bench.env.createDatabase('bench_raw_insert');
  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY });
  try {
    await pool.query(
      `CREATE TABLE raw_events (id bigserial PRIMARY KEY, stream_name text NOT NULL, type text NOT NULL,
         data jsonb NOT NULL, metadata jsonb NOT NULL)`,
    );
    const baseline = await runClosedLoop(CONCURRENCY, bench.seconds, async (worker) => {
      const event = sampleEvent(org.orgId);
      await pool.query('INSERT INTO raw_events (stream_name, type, data, metadata) VALUES ($1, $2, $3, $4)', [
        `raw-${worker}`,
        event.type,
        event.data,
        event.metadata,
      ]);
    });
    return figure({
      id: 'B1',
      name: 'command throughput, command bus, 32 concurrent (rename in the largest org)',
      value: load.perSecond,
      unit: 'commands/s',
      baselineName: 'raw INSERT of the same event rows, 32 connections',
      baseline: baseline.perSecond,
      target: { kind: 'ratioAtLeast', ratio: 0.5 },
      eventLoop,
      details: { commands: load.operations, errors: load.errors, errorSamples: load.errorSamples },
    });
  } finally {
    await pool.end();
  }
}

/** B2: the Postgres adapter's appends beside Emmett's, one event per call, 32 concurrent. */
export async function appendThroughput(bench: WriteSideBench): Promise<Figure> {
  const orgId = bench.manifest.largest.orgId;
  const oursUrl = await bench.env.createDatabase('bench_append_tenantry');
  const pool = new pg.Pool({ connectionString: oursUrl, max: CONCURRENCY });
  await pool.query(EVENT_STORE_SCHEMA_SQL);
  const store = new PostgresEventStore(pool);
  const ours = await runClosedLoop(CONCURRENCY, bench.seconds, (worker) =>
    store.append(`bench-${worker}`, [sampleEvent(orgId)], ANY),
  );
  await store.close();
  await pool.end();

  const emmettUrl = await bench.env.createDatabase('bench_append_emmett');
  const emmett = getPostgreSQLEventStore(emmettUrl, { connectionOptions: { pooled: true } } as never);
  try {
    await emmett.appendToStream('warmup', [{ type: 'Warmup', data: {} }]); // creates Emmett's schema
    const peer = await runClosedLoop(CONCURRENCY, bench.seconds, async (worker) => {
      const event = sampleEvent(orgId);
      await emmett.appendToStream(`bench-${worker}`, [
        { type: event.type, data: event.data as Record<string, unknown>, metadata: event.metadata },
      ]);
    });
    return figure({
      id: 'B2',
      name: 'event store appends, Postgres adapter, one event per call, 32 concurrent',
      value: ours.perSecond,
      unit: 'events/s',
      baselineName: '@event-driven-io/emmett-postgresql appendToStream, same events',
      baseline: peer.perSecond,
      target: { kind: 'ratioAtLeast', ratio: 1 },
      alsoMet: ours.errors === 0,
      details: {
        errors: ours.errors,
        peerErrors: peer.errors,
        errorSamples: [...ours.errorSamples, ...peer.errorSamples],
      },
    });
  } finally {
    await emmett.close();
  }
}

/** B9: posting to a chat with `longChatMessages` messages beside posting to a new chat. */
export async function postToLongChat(bench: WriteSideBench): Promise<Figure> {
  const org = bench.manifest.largest;
  const created = await bench.commands.execute<CreateChatCommand, { state: { chatId?: string } }>(
    new CreateChatCommand(org.orgId, { title: 'b9 new chat' }, contextFor(org.ownerId)),
  );
  const newChatId = created.state.chatId!;
  const post = (chatId: string) => (i: number) =>
    bench.commands.execute(new PostChatMessageCommand(org.orgId, chatId, `b9 ${i}`, contextFor(org.ownerId)));
  // Interleaved rounds, so drift on a shared machine hits both sides alike.
  const long: number[] = [];
  const fresh: number[] = [];
  for (let round = 0; round < 4; round++) {
    long.push(...(await sequentialLatencies(bench.samples / 4, post(bench.manifest.longChatId))));
    fresh.push(...(await sequentialLatencies(bench.samples / 4, post(newChatId))));
  }
  return figure({
    id: 'B9',
    name: `post a message to a chat of ${bench.manifest.sizes.longChatMessages} messages (median)`,
    value: median(long),
    unit: 'ms',
    baselineName: 'post a message to a new chat (median)',
    baseline: median(fresh),
    target: { kind: 'ratioAtMost', ratio: 1.2 },
    details: { p95: percentile(long, 95), baselineP95: percentile(fresh, 95) },
  });
}

/**
 * The four commands of B10, each alternating so every run appends. `chatId`
 * is a root chat B10 created in that org, of the same shape in both orgs
 * (no workspace, no ACL): the generated chats differ in how many groups
 * their ACL names and whether they sit in a workspace, which changes the
 * streams a command reads, and B10 compares tenant sizes, not chat shapes.
 */
function b10Commands(org: OrgManifest, chatId: string): Record<string, (i: number) => unknown> {
  const member = org.memberIds.find((id) => id !== org.ownerId)!;
  return {
    post: (i) => new PostChatMessageCommand(org.orgId, chatId, `b10 ${i}`, contextFor(org.ownerId)),
    rename: (i) =>
      new ChangeChatCommand(
        org.orgId,
        chatId,
        { type: 'RenameChat', title: `b10 ${i}` },
        contextFor(org.ownerId),
      ),
    share: (i) =>
      new ChangeChatCommand(
        org.orgId,
        chatId,
        { type: 'ChangeChatAcl', change: { users: { [member]: i % 2 ? 'viewer' : 'editor' }, groups: {} } },
        contextFor(org.ownerId),
      ),
    memberRole: (i) =>
      new SetOrgMemberRoleCommand(org.orgId, member, i % 2 ? 'member' : 'auditor', contextFor(org.ownerId)),
  };
}

async function createB10Chat(bench: WriteSideBench, org: OrgManifest): Promise<string> {
  const created = await bench.commands.execute<CreateChatCommand, { state: { chatId?: string } }>(
    new CreateChatCommand(org.orgId, { title: 'b10 chat' }, contextFor(org.ownerId)),
  );
  return created.state.chatId!;
}

/** Rounds of B10 per command; the side that goes first alternates, so drift on a shared machine hits both alike. */
const B10_ROUNDS = 4;

/** B10: the same commands in the largest org and in an org of 10 members. */
export async function commandCostByTenantSize(bench: WriteSideBench): Promise<Figure> {
  const large = b10Commands(bench.manifest.largest, await createB10Chat(bench, bench.manifest.largest));
  const small = b10Commands(bench.manifest.small, await createB10Chat(bench, bench.manifest.small));
  const details: Record<string, unknown> = {};
  let largeTotal = 0;
  let smallTotal = 0;
  const [, eventLoop] = await withEventLoopDelay(async () => {
    for (const name of Object.keys(large)) {
      const inLarge: number[] = [];
      const inSmall: number[] = [];
      const run = async (commands: typeof large, into: number[]) =>
        into.push(
          ...(await sequentialLatencies(bench.samples / (2 * B10_ROUNDS), (i) =>
            bench.commands.execute(commands[name]!(i) as never),
          )),
        );
      for (let round = 0; round < B10_ROUNDS; round++) {
        if (round % 2 === 0) {
          await run(large, inLarge);
          await run(small, inSmall);
        } else {
          await run(small, inSmall);
          await run(large, inLarge);
        }
      }
      details[name] = {
        largestMs: median(inLarge),
        smallMs: median(inSmall),
        ratio: median(inLarge) / median(inSmall),
        largestP95Ms: percentile(inLarge, 95),
        smallP95Ms: percentile(inSmall, 95),
      };
      largeTotal += median(inLarge);
      smallTotal += median(inSmall);
    }
  });
  return figure({
    id: 'B10',
    name: 'post, rename, share and member role change in the largest org (sum of medians)',
    value: largeTotal,
    unit: 'ms',
    baselineName: 'the same commands in an org of 10 members',
    baseline: smallTotal,
    target: { kind: 'ratioAtMost', ratio: 1.2 },
    eventLoop,
    details,
  });
}

/** B11: 32 concurrent member additions to the largest org, and 32 concurrent shares of 32 of its chats. */
export async function concurrentCommandsOnOneOrg(bench: WriteSideBench): Promise<Figure> {
  const org = bench.manifest.largest;
  const spare = bench.manifest.spareUserIds.slice(0, CONCURRENCY);
  const chats = org.writableChatIds.slice(1, CONCURRENCY + 1);
  const outcomes = { ok: 0, conflicts: 0, errors: 0, samples: [] as string[] };
  const settle = async (work: Promise<unknown>) => {
    try {
      await work;
      outcomes.ok++;
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'conflict') outcomes.conflicts++;
      else outcomes.errors++;
      if (outcomes.samples.length < 3)
        outcomes.samples.push(error instanceof Error ? error.message : String(error));
    }
  };
  const [, eventLoop] = await withEventLoopDelay(async () => {
    await Promise.all(
      spare.map((userId) =>
        settle(
          bench.commands.execute(
            new SetOrgMemberRoleCommand(org.orgId, userId, 'member', contextFor(org.ownerId)),
          ),
        ),
      ),
    );
    await Promise.all(
      chats.map((chatId, i) =>
        settle(
          bench.commands.execute(
            new ChangeChatCommand(
              org.orgId,
              chatId,
              {
                type: 'ChangeChatAcl',
                change: { users: { [org.memberIds[(i + 1) % org.memberIds.length]!]: 'editor' }, groups: {} },
              },
              contextFor(org.ownerId),
            ),
          ),
        ),
      ),
    );
  });
  return figure({
    id: 'B11',
    name: `${spare.length} concurrent member additions and ${chats.length} concurrent shares in the largest org: 409s and errors`,
    value: outcomes.conflicts + outcomes.errors,
    unit: 'failed commands',
    baselineName: 'none (the goal is zero)',
    baseline: null,
    target: { kind: 'valueAtMost', value: 0 },
    eventLoop,
    details: outcomes,
  });
}
