import { describe, expect, it } from '@jest/globals';
import { type CpuCounters, cpuPerRequest, readCpuCounters } from '../../bench/support/cpu-accounting.js';

describe("B8's CPU accounting", () => {
  const counters = (service: number, postgres: Array<[number, number]> | null, machine: number | null) =>
    ({
      serviceMicros: service,
      postgresMicros: postgres && new Map(postgres),
      machineMicros: machine,
    }) satisfies CpuCounters;

  it("splits what the machine spent between the two readings per request, Postgres's by backend", () => {
    const before = counters(
      1_000,
      [
        [10, 500],
        [11, 200],
      ],
      50_000,
    );
    // Backend 11 worked, backend 12 started meanwhile and counts whole, backend 10 ended (lost to `rest`).
    const after = counters(
      5_000,
      [
        [11, 1_200],
        [12, 1_000],
      ],
      60_000,
    );
    expect(cpuPerRequest(before, after, { requests: 10, cpuMicros: 1_000 })).toEqual({
      service: 400,
      postgres: 200,
      loadGenerator: 100,
      rest: 300,
      machine: 1_000,
    });
  });

  it('says nothing of Postgres or the machine without /proc, and never divides by zero', () => {
    const none = counters(0, null, null);
    expect(cpuPerRequest(none, counters(900, null, null), { requests: 0, cpuMicros: 90 })).toEqual({
      service: 900,
      postgres: null,
      loadGenerator: 90,
      rest: null,
      machine: null,
    });
  });

  it('reads a live process tree from /proc', async () => {
    const reading = await readCpuCounters(process.pid);
    expect(reading.serviceMicros).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      expect(reading.postgresMicros?.has(process.pid)).toBe(true);
      expect(reading.machineMicros).toBeGreaterThan(0);
    }
  });
});
