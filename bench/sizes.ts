import { type HistorySizes } from './generate/history.js';

export type RunSize = 'smoke' | 'quick' | 'full';

/**
 * The three run sizes. `full` is BENCHMARKS.md's data set (at least
 * 1,000,000 events, 100,000 chats, 20,000 users, a largest org of 6,000+
 * members); `quick` is for development; `smoke` only proves in CI that every
 * figure is still produced.
 */
export const SIZES: Record<RunSize, HistorySizes> = {
  smoke: {
    seed: 42,
    users: 300,
    orgs: 4,
    largestOrgMembers: 120,
    chats: 300,
    longChatMessages: 1_000,
    targetEvents: 6_000,
  },
  quick: {
    seed: 42,
    users: 3_000,
    orgs: 30,
    largestOrgMembers: 1_500,
    chats: 5_000,
    longChatMessages: 10_000,
    targetEvents: 40_000,
  },
  full: {
    seed: 42,
    users: 20_000,
    orgs: 250,
    largestOrgMembers: 6_500,
    chats: 100_000,
    longChatMessages: 50_000,
    targetEvents: 1_000_000,
  },
};

/** How long each measured load phase runs, in seconds. */
export const PHASE_SECONDS: Record<RunSize, number> = { smoke: 1, quick: 4, full: 10 };
