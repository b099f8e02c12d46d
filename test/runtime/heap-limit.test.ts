import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { rebuildChildNodeArgs } from '../../bench/figures/rebuild.js';
import { DEFAULT_MAX_OLD_SPACE_MB } from '../../libs/runtime/heap.js';

/**
 * Every way Tenantry's processes are launched gives V8 the same heap limit
 * (libs/runtime/heap.ts), and B3 measures the projector as it is launched:
 * a launcher that drifts from the others fails here.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('the heap limit of the launchers', () => {
  it('npm start passes the default, which TENANTRY_MAX_OLD_SPACE_MB overrides', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts.start).toContain(
      `--max-old-space-size=\${TENANTRY_MAX_OLD_SPACE_MB:-${DEFAULT_MAX_OLD_SPACE_MB}}`,
    );
  });

  it('the Dockerfile sets it for every node process of the image', () => {
    expect(read('Dockerfile')).toMatch(
      new RegExp(`^\\s*NODE_OPTIONS=--max-old-space-size=${DEFAULT_MAX_OLD_SPACE_MB}\\s*$`, 'm'),
    );
  });

  it("B3's rebuild child runs with it, and with an experiment's flags after it", () => {
    expect(rebuildChildNodeArgs({})).toEqual([`--max-old-space-size=${DEFAULT_MAX_OLD_SPACE_MB}`]);
    expect(
      rebuildChildNodeArgs({ TENANTRY_MAX_OLD_SPACE_MB: '2048', BENCH_REBUILD_NODE_ARGS: '--trace-gc' }),
    ).toEqual(['--max-old-space-size=2048', '--trace-gc']);
  });
});
