import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { setTenant } from '../../libs/persistence/index.js';
import { type ProjectionBatch } from '../../libs/projection-runtime/projection.js';
import { completeOrgAccess } from './chat-access.build.js';
import { buildingBatch, chatAccessBatch, chatAccessProjection } from './chat-access.projection.js';
import { AccessWorld, appendLog } from './testing/access-world.js';
import { readAccessRows } from './testing/access-scenario.js';
import { playScenario, scenario, type Scenario, type ScenarioIds } from './testing/random-history.js';

/**
 * The projection against an independent oracle: random command sequences
 * over one org, run through the real deciders (so only events the domain
 * allows reach the log), projected; after every accepted command, for every
 * (user, chat) the stored row must equal libs/authz on the facts the command
 * side's loader builds from the deciders' own folded states, and there must
 * be no other row. An event mapped to too narrow a scope leaves a stale row
 * somewhere and fails here.
 *
 * The same histories are also projected whole, as one batch, checked at the
 * end: the recomputes a batch defers to its end (chat-access.pending.ts)
 * must leave what recomputing after each event leaves, whether they run
 * one by one or merged into one. And in bulk mode (chat-access.build.ts),
 * as a rebuild runs it: facts only, every write issued without waiting for
 * the one before, then access computed once for the org.
 */
const RUNS = Number(process.env.CHAT_ACCESS_RUNS ?? 100);
const WHOLE_HISTORY_RUNS = Math.ceil(RUNS / 2);

let harness: ProjectionHarness;
/** Every root scope of a batch merged into one recompute, however few, and every recompute replacing its rows. */
let merging: ProjectionHarness;
/** Bulk mode: each batch a build's batch, completed for its orgs at once. */
let bulk: ProjectionHarness;
beforeAll(async () => {
  // Rows written two at a time: a recompute's writes cross their chunk boundary many times.
  harness = await startProjectionHarness([
    { ...chatAccessProjection, batch: () => chatAccessBatch({ rowsPerWrite: 2 }) },
  ]);
  merging = await startProjectionHarness([
    {
      ...chatAccessProjection,
      batch: () => chatAccessBatch({ separateRootScopesAtMost: 0, diffAtMost: 0, rowsPerWrite: 3 }),
    },
  ]);
  bulk = await startProjectionHarness([{ ...chatAccessProjection, batch: () => completedBuildingBatch() }]);
});
afterAll(async () => {
  await harness?.close();
  await merging?.close();
  await bulk?.close();
});

/** A building batch and its completion for every org it saw, in one transaction: a rebuild in small. */
function completedBuildingBatch(): ProjectionBatch {
  const building = buildingBatch();
  const orgs = new Set<string>();
  return {
    async apply(client, event) {
      if (event.orgId !== null) orgs.add(event.orgId);
      await building.apply(client, event);
    },
    async finish(client) {
      await building.finish(client);
      for (const orgId of orgs) {
        await setTenant(client, orgId);
        await completeOrgAccess(client, orgId, async () => undefined);
      }
    },
  };
}

/** How often each event type reached the log over all runs: the generator must reach them all. */
const seen = new Map<string, number>();

/**
 * Plays the scenario; with `checkEvery`, projects and checks after every
 * accepted command, otherwise once, at the end, the whole log in one batch.
 */
async function runScenario(harness: ProjectionHarness, input: Scenario, checkEvery: boolean): Promise<void> {
  const world = new AccessWorld();
  let projected = 0;
  const check = async ({ users }: ScenarioIds) => {
    if (world.log.length === projected) return;
    await appendLog(harness, world.orgId, world.log, projected);
    projected = world.log.length;
    await harness.project();
    const expected: Record<string, string[]> = {};
    for (const userId of users) {
      for (const chatId of world.chatIds) {
        const access = world.expected(userId, chatId);
        if (access) {
          expected[`${userId}/${chatId}`] = [
            ...access.permissions,
            ...(access.writeBlocked ? ['blocked'] : []),
          ];
        }
      }
    }
    expect(await readAccessRows(harness, world.orgId)).toEqual(expected);
  };
  const ids = await playScenario(input, world, checkEvery ? check : async () => undefined);
  if (!checkEvery) await check(ids);
  for (const { event } of world.log) seen.set(event.type, (seen.get(event.type) ?? 0) + 1);
}

describe('chat-access against libs/authz on the deciders’ states', () => {
  it(`agrees after every command of ${RUNS} random histories`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (input) => runScenario(harness, input, true)),
      { numRuns: RUNS },
    );
    // The histories reached every event that changes access.
    for (const type of [
      'OrgMemberAdded',
      'MemberRoleChanged',
      'OrgMemberRemoved',
      'OrgSettingsChanged',
      'GroupMemberAdded',
      'GroupMemberRemoved',
      'GroupDeleted',
      'WorkspaceMemberAdded',
      'WorkspaceMemberRemoved',
      'WorkspaceArchived',
      'WorkspaceUnarchived',
      'ChatCreated',
      'ChatShared',
      'ChatUnshared',
      'ChatDeleted',
    ]) {
      expect({ type, reached: (seen.get(type) ?? 0) > 0 }).toEqual({ type, reached: true });
    }
  }, 600_000);
});

describe('chat-access projecting a whole history as one batch', () => {
  it(`agrees at the end of ${WHOLE_HISTORY_RUNS} random histories, its recomputes one by one and diffed, or merged and replacing, and in bulk mode`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        await runScenario(harness, input, false);
        await runScenario(merging, input, false);
        // Batch by batch too, so that replacing meets rows stored by earlier batches.
        await runScenario(merging, input, true);
        await runScenario(bulk, input, false);
        await runScenario(bulk, input, true);
      }),
      { numRuns: WHOLE_HISTORY_RUNS },
    );
  }, 600_000);
});
