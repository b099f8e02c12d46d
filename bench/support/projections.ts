import { readCheckpoints } from '../../libs/projection-runtime/checkpoint.js';
import { PROJECTIONS } from '../../projections/index.js';
import { type BenchEnvironment } from './environment.js';

/**
 * Until every projection has reached the log's head as it is now (and none
 * failed): between phases, so that one phase's catch-up work never lands
 * in the next phase's figures.
 */
export async function waitForProjections(env: BenchEnvironment): Promise<void> {
  const ownerPool = env.runtime.database.ownerPool;
  const headNow = await env.runtime.eventStore.headPosition();
  const names = PROJECTIONS.map((p) => p.name);
  for (;;) {
    const checkpoints = await readCheckpoints(ownerPool, names);
    const failed = [...checkpoints.values()].find((c) => c.state === 'failed');
    if (failed) throw new Error(`projection ${failed.name} failed: ${failed.lastError}`);
    if (names.every((n) => (checkpoints.get(n)?.position ?? '') >= headNow)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
