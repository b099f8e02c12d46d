import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { liveChats } from '../../apps/cli/audit-verify.js';
import {
  accessAt,
  aclKey,
  aclRows,
  accessRows,
  atPosition,
  chatKey,
  chatRows,
  diffRows,
  replayOrg,
  StreamSnapshots,
} from '../../libs/audit/index.js';
import { AggregateStore } from '../../libs/command-runtime/index.js';
import { decideAccess } from '../../libs/domain/chat/chat-access.js';
import { chatDecider } from '../../libs/domain/chat/chat.decider.js';
import { type ChatState, type ExistingChat } from '../../libs/domain/chat/chat.state.js';
import { groupDecider } from '../../libs/domain/group/group.decider.js';
import { type GroupState } from '../../libs/domain/group/group.state.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import { type OrganizationState } from '../../libs/domain/organization/organization.state.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { workspaceDecider } from '../../libs/domain/workspace/workspace.decider.js';
import { type WorkspaceState } from '../../libs/domain/workspace/workspace.state.js';
import { type Position, type RecordedEvent } from '../../libs/event-store/index.js';
import { AccessWorld, appendLog } from '../../projections/chat-access/testing/access-world.js';
import { playScenario, scenario } from '../../projections/chat-access/testing/random-history.js';
import { chatsProjection } from '../../projections/chats/index.js';
import { collect } from '../event-store/event-fixtures.js';
import { type ProjectionHarness, startProjectionHarness } from '../support/projection-harness.js';

/**
 * Audit replay against an oracle that knows nothing of bearing streams,
 * snapshots or candidates: the org's whole log cut at a random position P,
 * folded by the deciders, and libs/authz asked about every user of the
 * history on every chat. `accessAt` (which reads only the chat's bearing
 * streams, from snapshots kept between questions, and decides only for
 * candidates) and the whole-org replay behind user-access and verify must
 * give the same permissions, write block and reasons, and 404 exactly where
 * the chat was missing or deleted at P.
 */
const RUNS = Number(process.env.AUDIT_RUNS ?? 40);

let harness: ProjectionHarness;
beforeAll(async () => {
  harness = await startProjectionHarness([chatsProjection]);
});
afterAll(async () => {
  await harness.close();
});

interface Oracle {
  org: OrganizationState;
  chats: Map<string, ChatState>;
  groups: Map<string, GroupState>;
  workspaces: Map<string, WorkspaceState>;
}

function foldCut(
  aggregates: AggregateStore,
  orgId: string,
  log: readonly RecordedEvent[],
  cut: Position,
): Oracle {
  const oracle: Oracle = {
    org: organizationDecider.initialState,
    chats: new Map(),
    groups: new Map(),
    workspaces: new Map(),
  };
  const prefix = streams.tenantPrefix(orgId);
  for (const recorded of log) {
    if (recorded.position > cut) break;
    const name = recorded.streamName.slice(prefix.length);
    const event = aggregates.toDomainEvent(recorded) as never;
    const id = name.slice(name.indexOf('-') + 1);
    if (name === 'organization') oracle.org = organizationDecider.evolve(oracle.org, event);
    else if (name.startsWith('chat-'))
      oracle.chats.set(id, chatDecider.evolve(oracle.chats.get(id) ?? chatDecider.initialState, event));
    else if (name.startsWith('group-'))
      oracle.groups.set(id, groupDecider.evolve(oracle.groups.get(id) ?? groupDecider.initialState, event));
    else if (name.startsWith('workspace-'))
      oracle.workspaces.set(
        id,
        workspaceDecider.evolve(oracle.workspaces.get(id) ?? workspaceDecider.initialState, event),
      );
  }
  return oracle;
}

/** libs/authz on the cut for every user, or null when the chat is missing or deleted at the cut. */
function expectedAccess(oracle: Oracle, chatId: string, users: readonly string[]) {
  const chat = oracle.chats.get(chatId);
  if (!chat || chat.status === 'absent' || oracle.org.status !== 'active') return null;
  const root = oracle.chats.get(chat.rootChatId) as ExistingChat;
  const ancestors: ExistingChat[] = [];
  for (let next = chat.parentChatId; next !== null && next !== chat.rootChatId;) {
    const parent = oracle.chats.get(next) as ExistingChat;
    ancestors.push(parent);
    next = parent.parentChatId;
  }
  if ([chat, root, ...ancestors].some((c) => c.status === 'deleted')) return null;
  const result: Record<string, unknown> = {};
  for (const userId of users) {
    const decision = decideAccess({
      userId,
      org: oracle.org,
      chat,
      root,
      ancestors,
      workspace: root.workspaceId === null ? null : (oracle.workspaces.get(root.workspaceId) ?? null),
      groups: Object.fromEntries(oracle.groups),
    });
    if (decision.permissions.length > 0) result[userId] = decision;
  }
  return result;
}

describe('audit replay against libs/authz on the log cut at random positions', () => {
  it(`agrees at random positions of ${RUNS} random histories`, async () => {
    let compared = 0;
    let missing = 0;
    let chatsCompared = 0;
    let aclCompared = 0;
    let subChatsCompared = 0;
    await fc.assert(
      fc.asyncProperty(scenario, fc.array(fc.nat(), { minLength: 4, maxLength: 8 }), async (input, picks) => {
        const world = new AccessWorld();
        const ids = await playScenario(input, world, async () => undefined);
        await appendLog(harness, world.orgId, world.log);
        const log = await collect(
          harness.eventStore.readAll({ streamPrefix: streams.tenantPrefix(world.orgId) }),
        );
        const aggregates = new AggregateStore(harness.eventStore, upcasters);
        // The chats read model against the replay at the head, as `tenantry audit verify` compares them.
        await harness.project();
        const live = await harness.read({ orgId: world.orgId }, (client) => liveChats(client, world.orgId));
        const head = log.at(-1)!.position;
        // Stops on the way to the head: each must see the world a replay cut there sees.
        const cuts = picks.map((pick) => log[pick % log.length]!.position);
        const atStops = new Map<string, unknown>();
        const atHead = await replayOrg(
          harness.eventStore,
          upcasters,
          world.orgId,
          atPosition(head),
          undefined,
          {
            positions: cuts,
            visit: (position, stopped) => atStops.set(position, [...accessRows(stopped)]),
          },
        );
        expect(diffRows('chats', chatKey, chatRows(atHead), live.rows)).toEqual([]);
        expect(diffRows('chat_acl_entries', aclKey, aclRows(atHead), live.acl)).toEqual([]);
        chatsCompared += live.rows.length;
        aclCompared += live.acl.length;
        subChatsCompared += live.rows.filter((r) => r.parentChatId !== null).length;
        // Small snapshot steps, shared by every question of the run, asked in random order.
        const snapshots = new StreamSnapshots({ every: 3 });
        for (const pick of picks) {
          const cut = log[pick % log.length]!.position;
          const oracle = foldCut(aggregates, world.orgId, log, cut);
          const whole = await replayOrg(harness.eventStore, upcasters, world.orgId, atPosition(cut));
          const rows = [...accessRows(whole)];
          expect(atStops.get(cut)).toEqual(rows);
          for (const chatId of ids.chats) {
            const expected = expectedAccess(oracle, chatId, ids.users);
            const answer = await accessAt(
              harness.eventStore,
              upcasters,
              { orgId: world.orgId, chatId, asOf: atPosition(cut) },
              { snapshots },
            );
            if (expected === null) {
              missing++;
              expect(answer).toBeNull();
              expect(rows.filter((r) => r.chatId === chatId)).toEqual([]);
              continue;
            }
            compared++;
            const got = Object.fromEntries(
              answer!.users.map((u) => [
                u.userId,
                {
                  permissions: u.permissions,
                  // The oracle's reasons carry no actors: compare without them.
                  reasons: u.reasons.map(({ event: { actorId: _a, ...event }, ...reason }) => {
                    const { membership, ...rest } = reason as typeof reason & {
                      membership?: { actorId?: string };
                    };
                    if (!membership) return { ...rest, event };
                    const { actorId: _m, ...plain } = membership;
                    return { ...rest, event, membership: plain };
                  }),
                  writeBlocked: u.writeBlocked && {
                    kind: u.writeBlocked.kind,
                    event: stripActor(u.writeBlocked.event),
                  },
                },
              ]),
            );
            expect(got).toEqual(expected);
            expect(
              Object.fromEntries(
                rows.filter((r) => r.chatId === chatId).map((r) => [r.userId, r.permissions]),
              ),
            ).toEqual(
              Object.fromEntries(
                Object.entries(expected).map(([userId, d]) => [
                  userId,
                  (d as { permissions: string[] }).permissions,
                ]),
              ),
            );
          }
        }
      }),
      { numRuns: RUNS },
    );
    // The property compared both live chats and missing (not yet created or deleted) ones.
    expect({ compared: compared > 0, missing: missing > 0 }).toEqual({ compared: true, missing: true });
    expect({ chats: chatsCompared > 0, acl: aclCompared > 0, subChats: subChatsCompared > 0 }).toEqual({
      chats: true,
      acl: true,
      subChats: true,
    });
  }, 600_000);
});

function stripActor<T extends { actorId: string | null }>(event: T): Omit<T, 'actorId'> {
  const { actorId: _actor, ...rest } = event;
  return rest;
}
