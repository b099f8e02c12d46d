import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { type Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type pg from 'pg';
import {
  atPosition,
  type Instant,
  liveChats,
  parseInstant,
  replayOrg,
  userAccess,
} from '../../libs/audit/index.js';
import { everyoneWithAccess } from '../../libs/audit/chat-world.js';
import { isUuid } from '../../libs/domain/kernel/index.js';
import { MESSAGES_STREAM_SUFFIX, streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore, type Position } from '../../libs/event-store/index.js';

/** What the audit commands run on: the log, and the app role's pool for the read models. */
export interface AuditRuntime {
  readonly eventStore: EventStore;
  readonly appPool: pg.Pool;
}

/** Where the commands write: stdout for results, stderr for people (and the progress bar). */
export interface AuditIo {
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  readonly json: boolean;
}

export class AuditCliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An org id, or the org holding a slug now (its reservation stream names it). */
export async function resolveOrg(eventStore: EventStore, org: string): Promise<string> {
  if (isUuid(org)) {
    for await (const _ of eventStore.readStream(streams.organization(org.toLowerCase()), { maxCount: 1 })) {
      return org.toLowerCase();
    }
  } else {
    let holder: string | null = null;
    for await (const event of eventStore.readStream(streams.orgSlugReservation(org))) {
      const { ownerId } = event.data as { ownerId: string };
      holder = event.type === 'SlugReserved' ? ownerId : holder === ownerId ? null : holder;
    }
    if (holder) return holder;
  }
  throw new AuditCliError('org-not-found', `no organization ${org}`);
}

export function parseAsOf(value: string | undefined): Instant | undefined {
  if (value === undefined) return undefined;
  const instant = parseInstant(value);
  if (!instant)
    throw new AuditCliError('invalid-as-of', `--as-of ${value}: not an ISO-8601 time or a log position`);
  return instant;
}

/** A progress bar on a terminal (never with --json): events replayed, rate and ETA. */
export function progress(io: AuditIo, label: string, total: number) {
  if (io.json || !io.stderr.isTTY) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: io.stderr,
      format: `${label} [{bar}] {value}/{total} events | {eta_formatted} left`,
      etaBuffer: 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let seen = 0;
  return {
    tick: () => {
      if (++seen % 500 === 0) bar.update(seen);
    },
    stop: () => {
      bar.update(seen);
      bar.stop();
    },
  };
}

/** The events a whole-org replay reads up to `upTo` (libs/audit replayOrg: messages left out), for its progress bar. */
export async function orgEventCount(eventStore: EventStore, orgId: string, upTo: Position): Promise<number> {
  let count = 0;
  const read = eventStore.readAll({
    streamPrefix: streams.tenantPrefix(orgId),
    excludeStreamSuffix: MESSAGES_STREAM_SUFFIX,
  });
  for await (const event of read) {
    if (event.position > upTo) break;
    count++;
  }
  return count;
}

/**
 * `tenantry audit replay`: one org's history replayed straight from the log
 * to an instant (default: the head), written as JSON lines, one per (chat,
 * user) with any permission: permissions, write block and reasons.
 */
export async function auditReplay(
  runtime: AuditRuntime,
  options: { org: string; asOf?: string; out?: string },
  io: AuditIo,
): Promise<number> {
  const orgId = await resolveOrg(runtime.eventStore, options.org);
  const instant = parseAsOf(options.asOf) ?? atPosition(await runtime.eventStore.headPosition());
  const head = await runtime.eventStore.headPosition();
  const bar = progress(
    io,
    'replay',
    io.json || !io.stderr.isTTY ? 0 : await orgEventCount(runtime.eventStore, orgId, head),
  );
  const world = await replayOrg(runtime.eventStore, upcasters, orgId, instant, bar.tick);
  bar.stop();
  const out: Writable = options.out ? createWriteStream(options.out) : io.stdout;
  let lines = 0;
  for (const { chatId, at } of liveChats(world)) {
    for (const { userId, decision } of everyoneWithAccess(at.world)) {
      const line = { orgId, chatId, ...userAccess(at.world, userId, decision) };
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
      lines++;
    }
  }
  if (options.out) {
    out.end();
    await once(out, 'finish');
    const summary = {
      orgId,
      asOf: instant.kind === 'position' ? instant.position : instant.iso,
      lines,
      out: options.out,
    };
    if (io.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else io.stderr.write(`wrote ${lines} lines of access of org ${orgId} to ${options.out}\n`);
  }
  return 0;
}
