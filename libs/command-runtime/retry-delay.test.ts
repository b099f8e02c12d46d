import { retryDelayMs } from './execute-command.js';

describe('retryDelayMs: the wait before a command is decided again after a conflict', () => {
  it('is a random time up to a cap that doubles per attempt and stops at 200 ms', () => {
    const longest = (attempt: number) => retryDelayMs(attempt, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(longest)).toEqual([5, 10, 20, 40, 80, 160, 200, 200]);
    expect(retryDelayMs(3, () => 0)).toBe(0);
  });

  it('is jittered: processes that collided once wait different times', () => {
    const waits = new Set(Array.from({ length: 50 }, () => retryDelayMs(4)));
    expect(waits.size).toBeGreaterThan(40);
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(40);
    }
  });
});
