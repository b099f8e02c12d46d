import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workspacesProjection } from '../../projections/workspaces/index.js';
import { type E2eApp, expectProblem, startE2eApp } from '../e2e/support/e2e-app.js';

/**
 * The projection runners commit asynchronously, so a Postgres crash can take
 * their last batches back, rows and checkpoint together, until they apply
 * those events again. A consistency token must then wait again (DESIGN.md
 * §4, §7): the gate may not answer from a checkpoint it saw before the crash.
 * Here the checkpoint is moved back by hand, the projector stopped, as the
 * crash would leave it.
 */
let app: E2eApp;
beforeAll(async () => {
  app = await startE2eApp({ consistencyWaitMs: 2_000 });
}, 60_000);
afterAll(() => app?.close());

const checkpointOf = async (name: string) =>
  (
    await app.database.ownerPool.query<{ position: string }>(
      'SELECT position FROM projection.checkpoints WHERE name = $1',
      [name],
    )
  ).rows[0]!.position;

const moveCheckpoint = (name: string, position: string) =>
  app.database.ownerPool.query('UPDATE projection.checkpoints SET position = $2 WHERE name = $1', [
    name,
    position,
  ]);

describe('a checkpoint that went back under the consistency gate', () => {
  it('holds up reads and commands carrying a token past it, where the gate had let them through', async () => {
    const alice = await app.registerUser('alice');
    const created = await app.request('POST', '/v1/orgs', {
      token: alice.token,
      body: { slug: `after-crash-${Date.now()}`, name: 'After a crash' },
    });
    expect(created.status).toBe(201);
    const org = created.body.org.id as string;
    const beforeWorkspace = created.headers.get('x-consistency-token')!;
    const workspace = await app.request('POST', `/v1/orgs/${org}/workspaces`, {
      token: alice.token,
      consistent: false,
      body: { slug: 'taken-back', name: 'Taken back' },
    });
    const at = {
      token: alice.token,
      consistent: false,
      headers: { 'x-consistency-token': workspace.headers.get('x-consistency-token')! },
    };
    // The gate has seen the checkpoints past the token.
    expect((await app.request('GET', `/v1/orgs/${org}/workspaces`, at)).status).toBe(200);

    await app.stopProjector();
    const reached = await checkpointOf(workspacesProjection.name);
    await moveCheckpoint(workspacesProjection.name, beforeWorkspace);

    const read = await app.request('GET', `/v1/orgs/${org}/workspaces`, at);
    expectProblem(read, 503);
    expect(read.body).toMatchObject({ code: 'CONSISTENCY.NOT_YET' });
    const command = await app.request('POST', `/v1/orgs/${org}/workspaces`, {
      ...at,
      body: { slug: 'not-yet', name: 'Not yet' },
    });
    expectProblem(command, 503);
    expect(command.body).toMatchObject({ code: 'CONSISTENCY.NOT_YET' });

    // Applied again: the same token passes.
    await moveCheckpoint(workspacesProjection.name, reached);
    expect((await app.request('GET', `/v1/orgs/${org}/workspaces`, at)).status).toBe(200);
  });
});
