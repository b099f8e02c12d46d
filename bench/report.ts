import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Figure } from './figures/figure.js';

const number = (value: number | null, digits = 2) =>
  value === null || !Number.isFinite(value)
    ? '—'
    : Math.abs(value) >= 100
      ? Math.round(value).toLocaleString('en-US')
      : value.toFixed(digits);

/** The figures as a table on stdout, as BENCHMARKS.md lists them. */
export function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((f) => [
    f.id,
    `${number(f.value)} ${f.unit}`,
    f.baseline === null ? '—' : `${number(f.baseline)}`,
    f.ratio === null ? '—' : `${number(f.ratio)} ×`,
    f.goal,
    f.met ? 'met' : 'MISSED',
    f.eventLoop
      ? `${number(f.eventLoop.p99Ms, 1)} / ${number(f.eventLoop.maxMs, 1)} ms (gc ${number(f.eventLoop.gcMaxMs, 1)})`
      : '',
  ]);
  const header = ['id', 'value', 'baseline', 'ratio', 'goal', '', 'blocked p99 / max (longest gc)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  process.stdout.write('\n');
  for (const f of figures) process.stdout.write(`${f.id}  ${f.name}\n    baseline: ${f.baselineName}\n`);
}

export async function writeResults(file: string, run: object, figures: readonly Figure[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version,
  };
  await fs.writeFile(file, `${JSON.stringify({ ...run, machine, figures }, null, 2)}\n`);
}
