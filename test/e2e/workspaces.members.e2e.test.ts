import { streams } from '../../libs/domain/streams.js';
import { expectProblem, OPERATOR_TOKEN, startE2eApp, type E2eApp } from './support/e2e-app.js';
import { appendsNothing, RANDOM_ID, workspaceWorld } from './support/workspace-world.js';

/** Workspace memberships over HTTP (DESIGN.md §5 Workspace, §10). */
describe('workspace members over HTTP', () => {
  let app: E2eApp;

  beforeAll(async () => {
    app = await startE2eApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const lastEventIn = async (orgId: string, workspaceId: string) =>
    (await app.allEvents()).filter((e) => e.streamName === streams.workspace(orgId, workspaceId)).at(-1)!;

  describe('PUT /v1/orgs/{org}/workspaces/{ws}/members/{userId}', () => {
    it('adds a member, changes their role, and appends nothing for the same role again', async () => {
      const w = await workspaceWorld(app);
      const ids = { orgId: w.org.orgId, workspaceId: w.ws.id, userId: w.bob.id };
      const added = await w.setRole(w.alice, w.bob.id, 'viewer');
      expect(added.status).toBe(201);
      expect(added.body).toEqual({
        member: { userId: w.bob.id, role: 'viewer' },
        position: expect.any(String),
      });
      expect(added.headers.get('x-consistency-token')).toBe(added.body.position);
      expect(await lastEventIn(w.org.orgId, w.ws.id)).toMatchObject({
        type: 'WorkspaceMemberAdded',
        data: { ...ids, role: 'viewer' },
        position: added.body.position,
        metadata: { orgId: w.org.orgId, actorId: w.alice.id },
      });
      const changed = await w.setRole(w.alice, w.bob.id, 'member');
      expect(changed.body.member).toEqual({ userId: w.bob.id, role: 'member' });
      expect(await lastEventIn(w.org.orgId, w.ws.id)).toMatchObject({
        type: 'MemberRoleChanged',
        data: { scope: 'workspace', ...ids, role: 'member', previousRole: 'viewer' },
        position: changed.body.position,
      });
      const same = await appendsNothing(app, () => w.setRole(w.alice, w.bob.id, 'member'));
      expect({ status: same.status, body: same.body }).toEqual({ status: 200, body: changed.body });
    });

    it('reaches the workspace and the org by their slugs', async () => {
      const w = await workspaceWorld(app);
      const answer = await w.setRole(
        w.alice,
        w.bob.id,
        'viewer',
        `/v1/orgs/${w.org.slug}/workspaces/${w.ws.slug}`,
      );
      expect(answer.status).toBe(201);
      expect((await lastEventIn(w.org.orgId, w.ws.id)).type).toBe('WorkspaceMemberAdded');
    });

    it('lets org owners and admins act as workspace admins, but not grant owner', async () => {
      const w = await workspaceWorld(app);
      expect((await w.setRole(w.adam, w.bob.id, 'admin')).status).toBe(201);
      expect((await w.setRole(w.olga, w.carol.id, 'member')).status).toBe(201);
      await appendsNothing(app, async () => {
        for (const actor of [w.adam, w.olga, w.bob]) {
          const answer = await w.setRole(actor, w.carol.id, 'owner');
          expect(expectProblem(answer, 403).body.code).toBe('WORKSPACE.OWNER_ONLY');
        }
        expect(expectProblem(await w.setRole(w.bob, w.alice.id, 'member'), 403).body.code).toBe(
          'WORKSPACE.OWNER_ONLY',
        );
      });
      // A workspace owner grants owner.
      expect((await w.setRole(w.alice, w.carol.id, 'owner')).body.member.role).toBe('owner');
    });

    it('answers 403 to viewers and members, who may see the workspace but not manage it', async () => {
      const w = await workspaceWorld(app);
      await w.setRole(w.alice, w.bob.id, 'viewer');
      await w.setRole(w.alice, w.carol.id, 'member');
      await appendsNothing(app, async () => {
        for (const [actor, target] of [
          [w.bob, w.adam.id],
          [w.carol, w.bob.id],
          [w.carol, w.adam.id],
        ] as const) {
          expect(expectProblem(await w.setRole(actor, target, 'viewer'), 403).body.code).toBe(
            'WORKSPACE.FORBIDDEN',
          );
        }
      });
    });

    it('answers 404, the body of a missing id, to whoever cannot see the workspace; 401 without a token', async () => {
      const w = await workspaceWorld(app);
      const missing = await w.setRole(
        w.alice,
        w.bob.id,
        'viewer',
        `/v1/orgs/${w.org.orgId}/workspaces/${RANDOM_ID}`,
      );
      expectProblem(missing, 404);
      const theirs = await app.request('POST', `/v1/orgs/${w.elsewhere.orgId}/workspaces`, {
        token: w.eve.token,
        body: { slug: 'eves', name: 'Eve' },
      });
      await appendsNothing(app, async () => {
        for (const answer of [
          await w.setRole(w.bob, w.carol.id, 'viewer'), // org member, not in the workspace
          await w.setRole(w.audrey, w.carol.id, 'viewer'), // org auditor
          await w.setRole(w.eve, w.carol.id, 'viewer'), // another tenant
          await w.setRole({ id: '', token: OPERATOR_TOKEN }, w.carol.id, 'viewer'),
          // Another org's workspace through this org.
          await w.setRole(
            w.alice,
            w.bob.id,
            'viewer',
            `/v1/orgs/${w.org.orgId}/workspaces/${theirs.body.workspace.id}`,
          ),
        ]) {
          expect({ status: answer.status, body: answer.body }).toEqual({ status: 404, body: missing.body });
        }
        expectProblem(
          await app.request('PUT', `${w.base}/members/${w.bob.id}`, { body: { role: 'viewer' } }),
          401,
        );
      });
    });

    it('refuses self-promotion with 403, even to an org admin', async () => {
      const w = await workspaceWorld(app);
      await w.setRole(w.alice, w.bob.id, 'admin');
      await appendsNothing(app, async () => {
        expect(expectProblem(await w.setRole(w.bob, w.bob.id, 'owner'), 403).body.code).toBe(
          'WORKSPACE.SELF_ROLE',
        );
        expect(expectProblem(await w.setRole(w.adam, w.adam.id, 'member'), 403).body.code).toBe(
          'WORKSPACE.SELF_ROLE',
        );
      });
    });

    it('protects the last owner with 409; an owner steps down while another remains', async () => {
      const w = await workspaceWorld(app);
      await appendsNothing(app, async () => {
        expect(expectProblem(await w.setRole(w.alice, w.alice.id, 'admin'), 409).body.code).toBe(
          'WORKSPACE.LAST_OWNER',
        );
        expect(expectProblem(await w.remove(w.alice, w.alice.id), 409).body.code).toBe(
          'WORKSPACE.LAST_OWNER',
        );
      });
      await w.setRole(w.alice, w.bob.id, 'owner');
      expect((await w.setRole(w.alice, w.alice.id, 'admin')).body.member.role).toBe('admin');
    });

    it('refuses users outside the org with 400 naming userId, and bad input with 400 naming the fields', async () => {
      const w = await workspaceWorld(app);
      await appendsNothing(app, async () => {
        for (const userId of [w.eve.id, RANDOM_ID]) {
          const answer = await w.setRole(w.alice, userId, 'member');
          expect(expectProblem(answer, 400, ['userId']).body.code).toBe('WORKSPACE.NOT_ORG_MEMBER');
        }
        expectProblem(await w.setRole(w.alice, w.bob.id, 'superuser'), 400, ['role']);
        expectProblem(await w.setRole(w.alice, 'not-a-uuid', 'member'), 400, ['userId']);
        const put = (body: unknown) =>
          app.request('PUT', `${w.base}/members/${w.bob.id}`, { token: w.alice.token, body });
        expectProblem(await put({ role: 'member', admin: true }), 400, ['admin']);
        expectProblem(await put({}), 400, ['role']);
      });
    });

    it('refuses adding members with 403 while workspace sharing is disabled', async () => {
      const w = await workspaceWorld(app);
      await w.setRole(w.alice, w.bob.id, 'member');
      await w.org.setWorkspaceSharingDisabled(true);
      await appendsNothing(app, async () => {
        for (const actor of [w.alice, w.adam]) {
          const answer = await w.setRole(actor, w.carol.id, 'viewer');
          expect(expectProblem(answer, 403).body.code).toBe('WORKSPACE.SHARING_DISABLED');
        }
      });
      // Demotions still work: the setting stops granting, never revoking.
      expect((await w.setRole(w.alice, w.bob.id, 'viewer')).status).toBe(200);
      await w.org.setWorkspaceSharingDisabled(false);
      expect((await w.setRole(w.alice, w.carol.id, 'viewer')).status).toBe(201);
    });
  });

  describe('DELETE /v1/orgs/{org}/workspaces/{ws}/members/{userId}', () => {
    it('removes a member with 204 and the consistency token', async () => {
      const w = await workspaceWorld(app);
      await w.setRole(w.alice, w.bob.id, 'member');
      const answer = await w.remove(w.alice, w.bob.id);
      expect(answer.status).toBe(204);
      expect(answer.body).toBeUndefined();
      const event = await lastEventIn(w.org.orgId, w.ws.id);
      expect(event).toMatchObject({
        type: 'WorkspaceMemberRemoved',
        data: { orgId: w.org.orgId, workspaceId: w.ws.id, userId: w.bob.id, previousRole: 'member' },
      });
      expect(answer.headers.get('x-consistency-token')).toBe(event.position);
      // Bob, gone, no longer sees the workspace; removing him again finds no member.
      await appendsNothing(app, async () => {
        expectProblem(await w.setRole(w.bob, w.carol.id, 'viewer'), 404);
        expect(expectProblem(await w.remove(w.alice, w.bob.id), 404).body.code).toBe('NOT_FOUND');
      });
    });

    it('answers 403 to members, 404 to outsiders and the operator, 401 without a token', async () => {
      const w = await workspaceWorld(app);
      await w.setRole(w.alice, w.bob.id, 'member');
      await w.setRole(w.alice, w.carol.id, 'viewer');
      await appendsNothing(app, async () => {
        expect(expectProblem(await w.remove(w.bob, w.carol.id), 403).body.code).toBe('WORKSPACE.FORBIDDEN');
        expect(expectProblem(await w.remove(w.adam, w.alice.id), 403).body.code).toBe('WORKSPACE.OWNER_ONLY');
        for (const token of [w.eve.token, w.audrey.token, OPERATOR_TOKEN]) {
          expectProblem(await app.request('DELETE', `${w.base}/members/${w.carol.id}`, { token }), 404);
        }
        expectProblem(await app.request('DELETE', `${w.base}/members/${w.carol.id}`), 401);
      });
      // An org admin, acting as workspace admin, removes members.
      expect((await w.remove(w.adam, w.carol.id)).status).toBe(204);
    });
  });
});
