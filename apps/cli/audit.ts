import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { type Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type pg from 'pg';
import {
  accessRows,
  type AccessRow,
  atPosition,
  createdOrgId,
  diffAccess,
  type Instant,
  liveChats,
  parseInstant,
  replayOrg,
  userAccess,
} from '../../libs/audit/index.js';
import { everyoneWithAccess } from '../../libs/audit/chat-world.js';
import { isUuid } from '../../libs/domain/kernel/index.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore, type Position } from '../../libs/event-store/index.js';
import { READ_MODEL_SCHEMA, withReadScope } from '../../libs/persistence/tenancy.js';
import { readCheckpoint } from '../../libs/projection-runtime/index.js';

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

/** The projection whose rows verify compares (projections/chat-access). */
const CHAT_ACCESS = 'chat-access';

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
function progress(io: AuditIo, label: string, total: number) {
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

async function orgEventCount(eventStore: EventStore, orgId: string, upTo: Position): Promise<number> {
  let count = 0;
  for await (const event of eventStore.readAll({ streamPrefix: streams.tenantPrefix(orgId) })) {
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

/**
 * `tenantry audit verify`: for each org, the live `chat_access` rows and the
 * chat-access checkpoint are read in one snapshot; the org's log is replayed
 * to that checkpoint through libs/authz; every (user, chat) on which they
 * disagree is a difference. Exit code 1 when there is any, 0 otherwise.
 */
export async function auditVerify(
  runtime: AuditRuntime,
  options: { org?: string; all?: boolean },
  io: AuditIo,
): Promise<number> {
  if (!options.org === !options.all)
    throw new AuditCliError('invalid-arguments', 'give exactly one of --org or --all');
  const orgIds = options.org
    ? [await resolveOrg(runtime.eventStore, options.org)]
    : await allOrgs(runtime.eventStore);
  const report: Array<{
    orgId: string;
    position: string;
    rows: number;
    differences: ReturnType<typeof diffAccess>;
  }> = [];
  for (const orgId of orgIds) {
    const { position, live } = await liveAccess(runtime.appPool, orgId);
    const bar = progress(
      io,
      `verify ${orgId.slice(0, 8)}`,
      io.json || !io.stderr.isTTY ? 0 : await orgEventCount(runtime.eventStore, orgId, position),
    );
    const world = await replayOrg(runtime.eventStore, upcasters, orgId, atPosition(position), bar.tick);
    bar.stop();
    const replayed = [...accessRows(world)];
    report.push({ orgId, position, rows: live.length, differences: diffAccess(replayed, live) });
  }
  const differences = report.reduce((n, org) => n + org.differences.length, 0);
  if (io.json) {
    io.stdout.write(`${JSON.stringify({ ok: differences === 0, differences, orgs: report })}\n`);
  } else {
    for (const org of report) {
      io.stdout.write(
        `org ${org.orgId} at ${org.position}: ${org.rows} rows, ${org.differences.length} differences\n`,
      );
      for (const d of org.differences) {
        io.stdout.write(
          `  chat ${d.chatId} user ${d.userId}: replay ${describe(d.replayed)}, read model ${describe(d.live)}\n`,
        );
      }
    }
  }
  return differences === 0 ? 0 : 1;
}

function describe(access: { permissions: readonly string[]; writeBlocked: boolean } | null): string {
  if (!access) return 'nothing';
  return `${access.permissions.join(',')}${access.writeBlocked ? ' (writes blocked)' : ''}`;
}

async function allOrgs(eventStore: EventStore): Promise<string[]> {
  const orgs: string[] = [];
  for await (const event of eventStore.readAll()) {
    const orgId = createdOrgId(event);
    if (orgId) orgs.push(orgId);
  }
  return orgs;
}

/** The org's chat_access rows and the checkpoint they stand at, from one snapshot under the tenant's RLS. */
async function liveAccess(
  appPool: pg.Pool,
  orgId: string,
): Promise<{ position: Position; live: AccessRow[] }> {
  return withReadScope(
    appPool,
    { orgId },
    async (client) => {
      const checkpoint = await readCheckpoint(client, CHAT_ACCESS);
      if (!checkpoint)
        throw new AuditCliError('not-installed', `the ${CHAT_ACCESS} projection is not installed`);
      const { rows } = await client.query<{
        chat_id: string;
        user_id: string;
        permissions: string[];
        write_blocked: boolean;
      }>(
        `SELECT chat_id, user_id, permissions, write_blocked FROM ${READ_MODEL_SCHEMA}.chat_access WHERE org_id = $1`,
        [orgId],
      );
      return {
        position: checkpoint.position,
        live: rows.map((r) => ({
          chatId: r.chat_id,
          userId: r.user_id,
          permissions: r.permissions,
          writeBlocked: r.write_blocked,
        })),
      };
    },
    { oneSnapshot: true },
  );
}
