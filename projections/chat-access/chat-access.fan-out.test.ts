import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ProjectionHarness, startProjectionHarness } from '../../test/support/projection-harness.js';
import { chatAccessProjection } from './chat-access.projection.js';
import { AccessScenario, group } from './testing/access-scenario.js';

/**
 * The write cost of materialized access (projections/README.md): a share
 * with a group writes one row per member and chat of the tree, and a
 * membership change touches that member's rows only.
 */
const MEMBERS = 500;

let harness: ProjectionHarness;
beforeAll(async () => {
  harness = await startProjectionHarness([chatAccessProjection]);
});
afterAll(async () => {
  await harness.close();
});

describe('fan-out', () => {
  it(`sharing a root and its 3 sub-chats with a group of ${MEMBERS} writes ${MEMBERS * 4} rows; removing one member removes exactly their 4`, async () => {
    const s = new AccessScenario(harness);
    const olga = randomUUID();
    const members = Array.from({ length: MEMBERS }, () => randomUUID());
    await s.orgCreated(olga);
    await s.membersAdded(members);
    const everyone = await s.groupCreated(members);
    const root = await s.chatCreated(olga);
    const subs = [
      await s.chatCreated(olga, { parentChatId: root }),
      await s.chatCreated(olga, { parentChatId: root }),
    ];
    subs.push(await s.chatCreated(olga, { parentChatId: subs[0]! }));
    const tree = [root, ...subs];
    const before = await s.rows();
    expect(Object.keys(before).sort()).toEqual(tree.map((chat) => `${olga}/${chat}`).sort());

    await s.shared(root, group(everyone), 'editor');
    const shared = await s.rows();
    const added = Object.keys(shared).filter((key) => !(key in before));
    expect(added).toHaveLength(MEMBERS * tree.length);
    for (const userId of members) {
      for (const chatId of tree) expect(shared[`${userId}/${chatId}`]).toEqual(['read', 'write']);
    }

    const leaver = members[123]!;
    await s.groupMemberRemoved(everyone, leaver);
    const after = await s.rows();
    const removed = Object.keys(shared).filter((key) => !(key in after));
    expect(removed.sort()).toEqual(tree.map((chat) => `${leaver}/${chat}`).sort());
    expect(Object.keys(after)).toHaveLength(Object.keys(shared).length - tree.length);
  });
});
