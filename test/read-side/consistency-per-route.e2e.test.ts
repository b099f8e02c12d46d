import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { type Position } from '../../libs/event-store/index.js';
import { markCheckpointFailed, retryFailedProjection } from '../../libs/projection-runtime/index.js';
import { aclHistoryProjection } from '../../projections/acl-history/index.js';
import { type E2eApp, expectProblem, startE2eApp } from '../e2e/support/e2e-app.js';

/**
 * DESIGN.md §7: a read with X-Consistency-Token waits until the projections
 * it reads have reached it. The ACL history is read by the audit routes
 * alone: failed (or lagging), it holds up and fails those, and never a read
 * of workspaces, chats or messages, which do not read it.
 */
let app: E2eApp;
beforeAll(async () => {
  app = await startE2eApp({ consistencyWaitMs: 2_000 });
}, 60_000);
afterAll(() => app?.close());

describe('what a consistency token waits for', () => {
  it('a failed ACL history fails the audit routes, not the others, until it is retried', async () => {
    const alice = await app.registerUser('alice');
    const created = await app.request('POST', '/v1/orgs', {
      token: alice.token,
      body: { slug: `per-route-${Date.now()}`, name: 'Per route' },
    });
    const org = created.body.org.id as string;
    // Everything so far is projected: the audit history of the org answers.
    expect(
      (await app.request('GET', `/v1/orgs/${org}/audit/acl-events`, { token: alice.token })).status,
    ).toBe(200);

    // The ACL history stops where it stands, as after an event it cannot apply.
    const pool = app.database.ownerPool;
    const { rows } = await pool.query<{ position: string }>(
      'SELECT position FROM projection.checkpoints WHERE name = $1',
      [aclHistoryProjection.name],
    );
    await markCheckpointFailed(pool, {
      name: aclHistoryProjection.name,
      position: rows[0]!.position as Position,
      eventType: 'TestFailure',
      eventId: randomUUID(),
      error: 'failed by the test',
      retries: 5,
    });

    const workspace = await app.request('POST', `/v1/orgs/${org}/workspaces`, {
      token: alice.token,
      consistent: false,
      body: { slug: 'after-the-failure', name: 'After the failure' },
    });
    expect(workspace.status).toBe(201);
    const at = {
      token: alice.token,
      consistent: false,
      headers: { 'x-consistency-token': workspace.headers.get('x-consistency-token')! },
    };

    const workspaces = await app.request('GET', `/v1/orgs/${org}/workspaces`, at);
    expect(workspaces.status).toBe(200);
    expect(workspaces.body.items.map((item: { slug: string }) => item.slug)).toContain('after-the-failure');

    const audit = await app.request('GET', `/v1/orgs/${org}/audit/acl-events`, at);
    expectProblem(audit, 503);
    expect(audit.body).toMatchObject({ code: 'CONSISTENCY.NOT_YET' });
    expect(audit.body.detail).toContain(aclHistoryProjection.name);

    await retryFailedProjection(
      pool,
      { name: aclHistoryProjection.name, actor: 'test' },
      pino({ level: 'silent' }),
    );
    const afterRetry = await app.request('GET', `/v1/orgs/${org}/audit/acl-events`, at);
    expect(afterRetry.status).toBe(200);
  });
});
