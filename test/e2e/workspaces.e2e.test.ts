import { streams } from '../../libs/domain/streams.js';
import { expectProblem, OPERATOR_TOKEN, startE2eApp, type E2eApp } from './support/e2e-app.js';
import { createOrg } from './support/org-fixtures.js';
import { appendsNothing, RANDOM_ID, workspaceWorld } from './support/workspace-world.js';

/** Creating, archiving and unarchiving workspaces over HTTP (DESIGN.md §5 Workspace, §10). */
describe('workspaces over HTTP', () => {
  let app: E2eApp;

  beforeAll(async () => {
    app = await startE2eApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const eventsIn = async (streamName: string) =>
    (await app.allEvents()).filter((e) => e.streamName === streamName);

  describe('POST /v1/orgs/{org}/workspaces', () => {
    it('creates the workspace with its creator as owner, reserving the slug in the org', async () => {
      const owner = await app.registerUser('owner');
      const org = await createOrg(app, owner.id);
      const answer = await app.request('POST', `/v1/orgs/${org.slug}/workspaces`, {
        token: owner.token,
        body: { slug: 'research', name: 'Research' },
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        workspace: { id: expect.any(String), slug: 'research', name: 'Research', archivedAt: null },
        position: expect.any(String),
      });
      expect(answer.headers.get('x-consistency-token')).toBe(answer.body.position);
      const id = answer.body.workspace.id;
      const events = await eventsIn(streams.workspace(org.orgId, id));
      expect(events.map((e) => [e.type, e.data])).toEqual([
        [
          'WorkspaceCreated',
          { orgId: org.orgId, workspaceId: id, slug: 'research', name: 'Research', createdBy: owner.id },
        ],
        ['WorkspaceMemberAdded', { orgId: org.orgId, workspaceId: id, userId: owner.id, role: 'owner' }],
      ]);
      expect(events[1]!.metadata).toMatchObject({ orgId: org.orgId, actorId: owner.id });
      expect(events[1]!.position).toBe(answer.body.position);
      const reservation = await eventsIn(streams.workspaceSlugReservation(org.orgId, 'research'));
      expect(reservation.map((e) => [e.type, e.data])).toEqual([
        ['SlugReserved', { slug: 'research', ownerId: id }],
      ]);
    });

    it('lets org members and admins create, and refuses auditors with 403', async () => {
      const w = await workspaceWorld(app);
      for (const [user, slug] of [
        [w.bob, 'bobs'],
        [w.adam, 'adams'],
        [w.olga, 'olgas'],
      ] as const) {
        const answer = await app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces`, {
          token: user.token,
          body: { slug, name: slug },
        });
        expect(answer.status).toBe(201);
      }
      const refused = await appendsNothing(app, () =>
        app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces`, {
          token: w.audrey.token,
          body: { slug: 'audit', name: 'Audit' },
        }),
      );
      expect(expectProblem(refused, 403).body.code).toBe('WORKSPACE.FORBIDDEN');
    });

    it('refuses a slug taken in the org with 409, and takes the same slug in another org', async () => {
      const w = await workspaceWorld(app);
      const again = await appendsNothing(app, () =>
        app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces`, {
          token: w.bob.token,
          body: { slug: w.ws.slug, name: 'Other' },
        }),
      );
      expect(expectProblem(again, 409).body.code).toBe('WORKSPACE.SLUG_TAKEN');
      const elsewhere = await app.request('POST', `/v1/orgs/${w.elsewhere.orgId}/workspaces`, {
        token: w.eve.token,
        body: { slug: w.ws.slug, name: 'Design too' },
      });
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.body.workspace.id).not.toBe(w.ws.id);
    });

    it('refuses bad input with 400 naming the fields, reserving nothing', async () => {
      const w = await workspaceWorld(app);
      const post = (body: unknown) =>
        app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces`, { token: w.alice.token, body });
      await appendsNothing(app, async () => {
        expectProblem(await post({ slug: 'Not A Slug', name: 'X' }), 400, ['slug']);
        expectProblem(await post({ slug: 'ok-slug', name: '   ' }), 400, ['name']);
        expectProblem(await post({ slug: 'ok-slug', name: 'x'.repeat(201) }), 400, ['name']);
        expectProblem(await post({ slug: 'ok-slug' }), 400, ['name']);
        expectProblem(await post({ slug: 'ok-slug', name: 'X', public: true }), 400, ['public']);
      });
      expect(await eventsIn(streams.workspaceSlugReservation(w.org.orgId, 'ok-slug'))).toEqual([]);
    });

    it('answers 401 without a token, and 404 to the operator and to anyone outside the org', async () => {
      const w = await workspaceWorld(app);
      const body = { slug: 'sneaky', name: 'Sneaky' };
      await appendsNothing(app, async () => {
        expectProblem(await app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces`, { body }), 401);
        const missing = await app.request('POST', `/v1/orgs/${RANDOM_ID}/workspaces`, {
          token: w.eve.token,
          body,
        });
        expectProblem(missing, 404);
        for (const token of [w.eve.token, OPERATOR_TOKEN]) {
          for (const org of [w.org.orgId, w.org.slug]) {
            const answer = await app.request('POST', `/v1/orgs/${org}/workspaces`, { token, body });
            expect({ status: answer.status, body: answer.body }).toEqual({
              status: 404,
              body: missing.body,
            });
          }
        }
      });
    });

    it('gives a slug raced for by two creations to exactly one of them', async () => {
      const w = await workspaceWorld(app);
      const create = (token: string, name: string) =>
        app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces`, { token, body: { slug: 'race', name } });
      const answers = await Promise.all([create(w.bob.token, 'Bob'), create(w.carol.token, 'Carol')]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      expect(answers.find((a) => a.status === 409)!.body.code).toBe('WORKSPACE.SLUG_TAKEN');
      const created = (await app.allEvents()).filter(
        (e) =>
          e.type === 'WorkspaceCreated' &&
          e.metadata.orgId === w.org.orgId &&
          (e.data as { slug: string }).slug === 'race',
      );
      expect(created).toHaveLength(1);
    });
  });

  it('answers a repeated creation with the same Idempotency-Key once, appending nothing more', async () => {
    const w = await workspaceWorld(app);
    const create = () =>
      app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces`, {
        token: w.bob.token,
        headers: { 'idempotency-key': 'create-ops' },
        body: { slug: 'ops', name: 'Ops' },
      });
    const first = await create();
    expect(first.status).toBe(201);
    const repeat = await appendsNothing(app, create);
    expect({ status: repeat.status, body: repeat.body }).toEqual({ status: 201, body: first.body });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const { body } = await app.request('GET', '/openapi.json');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/orgs/{org}/workspaces',
        '/v1/orgs/{org}/workspaces/{ws}/members/{userId}',
        '/v1/orgs/{org}/workspaces/{ws}/archive',
        '/v1/orgs/{org}/workspaces/{ws}/unarchive',
      ]),
    );
    expect(body.components.schemas.CreateWorkspaceDto.required).toEqual(['slug', 'name']);
  });

  describe('POST /v1/orgs/{org}/workspaces/{ws}/archive and /unarchive', () => {
    it('archives (archivedAt is the event’s time), makes membership changes 410, and unarchives', async () => {
      const w = await workspaceWorld(app);
      expect((await w.setRole(w.alice, w.bob.id, 'viewer')).status).toBe(201);
      const archived = await w.archive(w.alice);
      expect(archived.status).toBe(200);
      const [event] = (await eventsIn(streams.workspace(w.org.orgId, w.ws.id))).slice(-1);
      expect(event).toMatchObject({
        type: 'WorkspaceArchived',
        data: { orgId: w.org.orgId, workspaceId: w.ws.id },
        position: archived.body.position,
      });
      expect(archived.body).toEqual({
        workspace: { ...w.ws, name: 'Design', archivedAt: event!.metadata.occurredAt },
        position: event!.position,
      });
      expect(archived.headers.get('x-consistency-token')).toBe(archived.body.position);

      await appendsNothing(app, async () => {
        // Archiving again changes nothing and answers the same.
        expect((await w.archive(w.alice)).body).toEqual(archived.body);
        for (const answer of [
          await w.setRole(w.alice, w.carol.id, 'member'),
          await w.setRole(w.alice, w.bob.id, 'viewer'), // would change nothing: still 410
          await w.remove(w.alice, w.bob.id),
          await w.setRole(w.olga, w.carol.id, 'member'),
          await w.setRole(w.bob, w.carol.id, 'member'), // a viewer: 410 comes before 403
        ]) {
          expect(expectProblem(answer, 410).body.code).toBe('WORKSPACE.ARCHIVED');
        }
      });

      const unarchived = await w.archive(w.alice, 'unarchive');
      expect(unarchived.status).toBe(200);
      expect(unarchived.body.workspace.archivedAt).toBeNull();
      const [last] = (await eventsIn(streams.workspace(w.org.orgId, w.ws.id))).slice(-1);
      expect(last).toMatchObject({ type: 'WorkspaceUnarchived', position: unarchived.body.position });
      expect((await w.setRole(w.alice, w.carol.id, 'member')).status).toBe(201);
    });

    it('is for workspace owners and org owners: 403 to org admins and other members, 404 to outsiders', async () => {
      const w = await workspaceWorld(app);
      await w.setRole(w.alice, w.bob.id, 'admin');
      await w.setRole(w.alice, w.carol.id, 'viewer');
      await appendsNothing(app, async () => {
        for (const user of [w.adam, w.bob, w.carol]) {
          expect(expectProblem(await w.archive(user), 403).body.code).toBe('WORKSPACE.FORBIDDEN');
        }
        const missing = await app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces/${RANDOM_ID}/archive`, {
          token: w.audrey.token,
        });
        expectProblem(missing, 404);
        for (const token of [w.audrey.token, w.eve.token, OPERATOR_TOKEN]) {
          const answer = await app.request('POST', `${w.base}/archive`, { token });
          expect({ status: answer.status, body: answer.body }).toEqual({ status: 404, body: missing.body });
        }
        expectProblem(await app.request('POST', `${w.base}/archive`), 401);
      });
      const byOrgOwner = await w.archive(w.olga);
      expect(byOrgOwner.body.workspace.archivedAt).toEqual(expect.any(String));
      expect((await w.archive(w.olga, 'unarchive')).body.workspace.archivedAt).toBeNull();
    });

    it('reaches the workspace by its slug, and the org by its slug', async () => {
      const w = await workspaceWorld(app);
      const answer = await app.request('POST', `/v1/orgs/${w.org.slug}/workspaces/${w.ws.slug}/archive`, {
        token: w.alice.token,
      });
      expect(answer.status).toBe(200);
      expect(answer.body.workspace).toMatchObject({ id: w.ws.id, slug: w.ws.slug });
      // Another org's workspace slug, an unknown slug and a non-slug are all the 404 of a missing id.
      await app.request('POST', `/v1/orgs/${w.elsewhere.orgId}/workspaces`, {
        token: w.eve.token,
        body: { slug: 'eves-only', name: 'Eve' },
      });
      const missing = await app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces/${RANDOM_ID}/unarchive`, {
        token: w.alice.token,
      });
      for (const ws of ['eves-only', 'no-such-slug', 'Not_A_Slug']) {
        const answer = await app.request('POST', `/v1/orgs/${w.org.orgId}/workspaces/${ws}/unarchive`, {
          token: w.alice.token,
        });
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 404, body: missing.body });
      }
    });
  });
});
