import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProjectionStatus } from '../../libs/projection-runtime/index.js';
import { PROJECTIONS } from '../../projections/index.js';
import {
  type ApiAnswer,
  type E2eApp,
  expectProblem,
  OPERATOR_TOKEN,
  startE2eApp,
} from '../e2e/support/e2e-app.js';
import { createOrg } from '../e2e/support/org-fixtures.js';
import {
  RANDOM_ID,
  type TestUser,
  type WorkspaceWorld,
  workspaceWorld,
} from '../e2e/support/workspace-world.js';

/**
 * The read side of users, orgs, groups and workspaces over HTTP (DESIGN.md
 * §5, §10): who sees what, the one 404 for "cannot see it", the pagination
 * rules, and the operator's view of the projections (§7, §8).
 */
describe('org read side over HTTP', () => {
  let app: E2eApp;
  /** GET of an org that does not exist: every "cannot see it" must answer exactly this body. */
  let missing: ApiAnswer;
  let orgs = 0;

  beforeAll(async () => {
    app = await startE2eApp();
    const someone = await app.registerUser('someone');
    missing = expectProblem(await get(`/v1/orgs/${RANDOM_ID}`, someone), 404);
  });
  afterAll(async () => {
    await app?.close();
  });

  const get = (path: string, user?: TestUser | string) =>
    app.request('GET', path, { token: typeof user === 'string' ? user : user?.token });
  /** Sends a request that must succeed with `status`, and returns its body. */
  async function ok(method: string, path: string, user: TestUser, body?: object, status?: number) {
    const answer = await app.request(method, path, { token: user.token, body });
    if (status ? answer.status !== status : answer.status >= 300) {
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }
  const items = async (path: string, user: TestUser) => (await ok('GET', path, user)).items;
  const notFound = async (path: string, user: TestUser | string) =>
    expect(expectProblem(await get(path, user), 404).body).toEqual(missing.body);

  type Member = [TestUser, string];
  /** An org created over HTTP by `owner`, with each member added at its role. */
  async function orgNamed(slug: string, owner: TestUser, ...members: Member[]) {
    const { org } = await ok('POST', '/v1/orgs', owner, { slug, name: `Org ${slug}` });
    for (const [user, role] of members)
      await ok('PUT', `/v1/orgs/${org.id}/members/${user.id}`, owner, { role });
    return { id: org.id as string, slug, name: `Org ${slug}`, path: `/v1/orgs/${org.id}` };
  }
  const newOrg = (owner: TestUser, ...members: Member[]) =>
    orgNamed(`reads-${++orgs}-${Date.now()}`, owner, ...members);
  /** Fresh users, each with its display name. */
  const register = <Names extends string[]>(...names: Names) =>
    Promise.all(names.map(async (name) => ({ ...(await app.registerUser(name)), name }))) as Promise<{
      [K in keyof Names]: TestUser & { name: string };
    }>;

  describe('users', () => {
    it('GET /v1/users/me answers the caller, and only the caller', async () => {
      for (const user of await register('ada', 'bea')) {
        expect(await ok('GET', '/v1/users/me', user)).toEqual({
          user: {
            id: user.id,
            email: expect.stringMatching(new RegExp(`^${user.name}-.*@example\\.com$`)),
            displayName: user.name,
            status: 'active',
            registeredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
          },
        });
      }
    });

    it('GET /v1/users/me/tokens lists active tokens by prefix only, and drops a revoked one', async () => {
      const [ada, bea] = await register('ada', 'bea');
      const laptop = await ok('POST', '/v1/users/me/tokens', ada, { name: 'laptop' });
      const item = (name: string, token: string) => ({
        id: expect.any(String),
        name,
        prefix: token.slice(0, 8),
        issuedAt: expect.stringMatching(/Z$/),
      });
      const listed = await ok('GET', '/v1/users/me/tokens', ada);
      expect(listed).toEqual({
        items: [item('first', ada.token), item('laptop', laptop.token)],
        nextCursor: null,
      });
      expect(listed.items[1].id).toBe(laptop.id);
      const text = JSON.stringify(listed);
      for (const token of [ada.token, laptop.token]) {
        const hash = createHash('sha256').update(token).digest('hex');
        for (const secret of [token, token.split('.')[0]!, hash]) expect(text).not.toContain(secret);
      }
      expect(await items('/v1/users/me/tokens', bea)).toEqual([item('first', bea.token)]);
      await ok('DELETE', `/v1/users/me/tokens/${laptop.id}`, ada, undefined, 204);
      expect(await items('/v1/users/me/tokens', ada)).toEqual([item('first', ada.token)]);
    });

    it('answers the operator 404 (it has no user data) and a missing or unknown token 401', async () => {
      for (const path of ['/v1/users/me', '/v1/users/me/tokens', '/v1/orgs']) {
        await notFound(path, OPERATOR_TOKEN);
        expectProblem(await get(path), 401);
        expectProblem(await get(path, `nope.${RANDOM_ID}`), 401);
      }
    });
  });

  describe('organizations', () => {
    it('GET /v1/orgs lists only the orgs the caller belongs to, by slug, with their role', async () => {
      const [ada, bea] = await register('ada', 'bea');
      const stamp = `list-${Date.now()}`;
      const b = await orgNamed(`${stamp}-b`, ada);
      const a = await orgNamed(`${stamp}-a`, ada);
      const c = await orgNamed(`${stamp}-c`, bea, [ada, 'auditor']);
      const d = await orgNamed(`${stamp}-d`, bea);
      const row = ({ id, slug, name }: typeof a, role: string) => ({ id, slug, name, role });
      const all = [row(a, 'owner'), row(b, 'owner'), row(c, 'auditor')];
      expect(await ok('GET', '/v1/orgs', ada)).toEqual({ items: all, nextCursor: null });
      expect(await items('/v1/orgs', bea)).toEqual([row(c, 'owner'), row(d, 'owner')]);
      const first = await ok('GET', '/v1/orgs?limit=2', ada);
      expect(first.items).toEqual(all.slice(0, 2));
      const rest = await ok('GET', `/v1/orgs?limit=2&cursor=${first.nextCursor}`, ada);
      expect(rest).toEqual({ items: all.slice(2), nextCursor: null });
    });

    it('GET /v1/orgs/{org} answers the org by id or slug, with its settings and the caller role', async () => {
      const [owner, mia] = await register('owner', 'mia');
      const org = await newOrg(owner, [mia, 'member']);
      await ok('PATCH', `${org.path}/settings`, owner, { chatSharingDisabled: true });
      const view = (role: string) => ({
        org: {
          id: org.id,
          slug: org.slug,
          name: `Org ${org.slug}`,
          settings: { chatSharingDisabled: true, workspaceSharingDisabled: false },
          role,
        },
      });
      expect(await ok('GET', org.path, owner)).toEqual(view('owner'));
      expect(await ok('GET', `/v1/orgs/${org.slug}`, mia)).toEqual(view('member'));
      expect(await ok('GET', `/v1/orgs/${org.id.toUpperCase()}`, mia)).toEqual(view('member'));
    });

    it('answers 404 like a missing org to outsiders, other tenants, the operator and removed members', async () => {
      const [owner, leaver, outsider, other] = await register('owner', 'leaver', 'outsider', 'other');
      const org = await newOrg(owner, [leaver, 'admin']);
      await newOrg(other); // a member of another tenant
      const paths = [
        org.path,
        `/v1/orgs/${org.slug}`,
        ...['members', 'groups', 'workspaces'].map((p) => `${org.path}/${p}`),
      ];
      for (const path of paths) {
        expect((await get(path, leaver)).status).toBe(200);
        expect((await get(path, owner)).status).toBe(200);
      }
      await ok('DELETE', `${org.path}/members/${leaver.id}`, owner, undefined, 204);
      for (const path of paths) {
        for (const user of [outsider, other, leaver, OPERATOR_TOKEN]) await notFound(path, user);
        expectProblem(await get(path), 401);
      }
      await notFound('/v1/orgs/Not_A_Slug', owner);
      expect(await items('/v1/orgs', leaver)).toEqual([]);
    });

    it('GET /v1/orgs/{org}/members lists each member with role and display name, never an email', async () => {
      const [olga, adam, audrey, mia] = await register('olga', 'adam', 'audrey', 'mia');
      const org = await newOrg(olga, [adam, 'admin'], [audrey, 'auditor'], [mia, 'member']);
      const member = (user: typeof olga, role: string) => ({ userId: user.id, displayName: user.name, role });
      const listed = await ok('GET', `${org.path}/members`, mia);
      expect(listed).toEqual({
        items: [
          member(olga, 'owner'),
          member(adam, 'admin'),
          member(audrey, 'auditor'),
          member(mia, 'member'),
        ],
        nextCursor: null,
      });
      expect(JSON.stringify(listed)).not.toContain('@');
      await ok('PUT', `${org.path}/members/${adam.id}`, olga, { role: 'member' });
      await ok('DELETE', `${org.path}/members/${audrey.id}`, olga, undefined, 204);
      expect(await items(`${org.path}/members`, mia)).toEqual([
        member(olga, 'owner'),
        member(adam, 'member'),
        member(mia, 'member'),
      ]);
    });

    it('GET /v1/orgs/{org}/groups lists groups with the count of members still in the org', async () => {
      const [owner, ann, ben] = await register('owner', 'ann', 'ben');
      const org = await newOrg(owner, [ann, 'member'], [ben, 'member']);
      const eng = (await ok('POST', `${org.path}/groups`, owner, { name: 'eng' })).group.id;
      const empty = (await ok('POST', `${org.path}/groups`, owner, { name: 'empty' })).group.id;
      for (const user of [ann, ben]) await ok('PUT', `${org.path}/groups/${eng}/members/${user.id}`, owner);
      expect(await ok('GET', `${org.path}/groups`, ann)).toEqual({
        items: [
          { id: eng, name: 'eng', memberCount: 2 },
          { id: empty, name: 'empty', memberCount: 0 },
        ],
        nextCursor: null,
      });
      await ok('DELETE', `${org.path}/members/${ben.id}`, owner, undefined, 204);
      await ok('DELETE', `${org.path}/groups/${empty}`, owner, undefined, 204);
      expect(await items(`${org.path}/groups`, ann)).toEqual([{ id: eng, name: 'eng', memberCount: 1 }]);
    });
  });

  describe('workspaces', () => {
    const listed = async (path: string, user: TestUser) =>
      (await items(path, user)).map((x: { slug: string; role: string | null }) => `${x.slug}:${x.role}`);

    describe('seen by each role', () => {
      /** Alice owns `design`, where Carol is a viewer; Bob owns `bobs`; Eve has one in her own org. */
      let w: WorkspaceWorld;
      let theirs: { id: string };
      let path: string;
      beforeAll(async () => {
        w = await workspaceWorld(app);
        path = `/v1/orgs/${w.org.orgId}/workspaces`;
        await ok('POST', path, w.bob, { slug: 'bobs', name: 'Bobs' });
        await ok('PUT', `${w.base}/members/${w.carol.id}`, w.alice, { role: 'viewer' });
        const body = { slug: 'theirs', name: 'Theirs' };
        theirs = (await ok('POST', `/v1/orgs/${w.elsewhere.orgId}/workspaces`, w.eve, body)).workspace;
      });

      it('lists every workspace to org owners and admins, to others those they are members of', async () => {
        const both = ['bobs:null', 'design:null'];
        expect(await listed(path, w.olga)).toEqual(both);
        expect(await listed(path, w.adam)).toEqual(both);
        expect(await listed(path, w.bob)).toEqual(['bobs:owner']);
        expect(await listed(path, w.carol)).toEqual(['design:viewer']);
        expect(await listed(path, w.audrey)).toEqual([]);
        expect(await ok('GET', `/v1/orgs/${w.org.slug}/workspaces`, w.alice)).toEqual({
          items: [{ id: w.ws.id, slug: 'design', name: 'Design', archivedAt: null, role: 'owner' }],
          nextCursor: null,
        });
      });

      it('GET one by id or slug to those who see it; 404 like a missing one to anyone else', async () => {
        const view = (role: string | null) => ({
          workspace: { id: w.ws.id, slug: 'design', name: 'Design', archivedAt: null, role },
        });
        expect(await ok('GET', w.base, w.alice)).toEqual(view('owner'));
        expect(await ok('GET', `${path}/design`, w.carol)).toEqual(view('viewer'));
        expect(await ok('GET', `${path}/${w.ws.id.toUpperCase()}`, w.olga)).toEqual(view(null));
        expect(await ok('GET', `/v1/orgs/${w.org.slug}/workspaces/design`, w.adam)).toEqual(view(null));
        await notFound(`${path}/${RANDOM_ID}`, w.olga);
        await notFound(`${path}/Not_A_Slug`, w.olga);
        await notFound(`${path}/${theirs.id}`, w.olga); // another org's, even to an owner
        for (const ws of [w.ws.id, 'design']) {
          for (const user of [w.bob, w.audrey, w.eve, OPERATOR_TOKEN]) await notFound(`${path}/${ws}`, user);
          expectProblem(await get(`${path}/${ws}`), 401);
        }
      });
    });

    it('while workspaceSharingDisabled is on, shows members only the workspaces they own', async () => {
      const w = await workspaceWorld(app);
      await ok('PUT', `${w.base}/members/${w.carol.id}`, w.alice, { role: 'member' });
      await ok('PUT', `${w.base}/members/${w.bob.id}`, w.alice, { role: 'admin' });
      const path = `/v1/orgs/${w.org.orgId}/workspaces`;
      const settings = (workspaceSharingDisabled: boolean) =>
        ok('PATCH', `/v1/orgs/${w.org.orgId}/settings`, w.olga, { workspaceSharingDisabled });
      await settings(true);
      for (const user of [w.bob, w.carol]) {
        expect(await listed(path, user)).toEqual([]);
        await notFound(w.base, user);
      }
      expect(await listed(path, w.alice)).toEqual(['design:owner']);
      expect(await listed(path, w.adam)).toEqual(['design:null']);
      await settings(false);
      expect(await listed(path, w.carol)).toEqual(['design:member']);
      expect((await ok('GET', w.base, w.bob)).workspace.role).toBe('admin');
    });

    it('hides archived workspaces unless ?includeArchived=true, and shows when they were archived', async () => {
      const w = await workspaceWorld(app);
      await ok('POST', `/v1/orgs/${w.org.orgId}/workspaces`, w.alice, { slug: 'notes', name: 'Notes' });
      const path = `/v1/orgs/${w.org.orgId}/workspaces`;
      const before = Date.now();
      expect((await w.archive(w.alice)).status).toBe(200);
      for (const user of [w.alice, w.olga]) {
        expect(await listed(path, user)).toEqual([`notes:${user === w.alice ? 'owner' : null}`]);
        expect(await listed(`${path}?includeArchived=false`, user)).toEqual(await listed(path, user));
      }
      const all = await items(`${path}?includeArchived=true`, w.alice);
      expect(all.map((x: { slug: string }) => x.slug)).toEqual(['design', 'notes']);
      const archivedAt = all[0].archivedAt as string;
      expect(all[1].archivedAt).toBeNull();
      expect(Date.parse(archivedAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(archivedAt)).toBeLessThanOrEqual(Date.now());
      for (const ws of [w.ws.id, 'design']) {
        const { workspace } = await ok('GET', `${path}/${ws}`, w.alice);
        expect(workspace).toMatchObject({ archivedAt, role: 'owner' });
      }
      for (const value of ['yes', '1', 'TRUE', '']) {
        expectProblem(await get(`${path}?includeArchived=${value}`, w.alice), 400, ['includeArchived']);
      }
      expect((await w.archive(w.alice, 'unarchive')).status).toBe(200);
      expect(await listed(path, w.alice)).toEqual(['design:owner', 'notes:owner']);
      expect((await ok('GET', w.base, w.alice)).workspace.archivedAt).toBeNull();
    });
  });

  describe('pagination', () => {
    it('refuses a limit outside 1–200, or a cursor this API did not give, with 400 naming it', async () => {
      const [owner] = await register('owner');
      const org = await newOrg(owner);
      const lists = ['members', 'groups', 'workspaces'].map((list) => `${org.path}/${list}`);
      for (const list of [...lists, '/v1/orgs', '/v1/users/me/tokens']) {
        for (const limit of ['0', '201', 'abc', '-1', '1.5', '', '1e2']) {
          expectProblem(await get(`${list}?limit=${limit}`, owner), 400, ['limit']);
        }
        const notACursor = Buffer.from('not-a-cursor').toString('base64url');
        // 'djE6AA' is 'v1:' and a NUL, 'djE6__4' 'v1:' and bytes that are no UTF-8: never keys of ours.
        for (const cursor of ['!!!', notACursor, '', 'djE6', 'djE6AA', 'djE6__4']) {
          expectProblem(await get(`${list}?cursor=${cursor}`, owner), 400, ['cursor']);
        }
        for (const limit of ['1', '200'])
          expect((await get(`${list}?limit=${limit}`, owner)).status).toBe(200);
      }
    });

    it('walks 7 members 3 at a time as pages of 3, 3 and 1, each member once', async () => {
      const [owner, ...others] = await register('owner', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6');
      const org = await newOrg(owner, ...others.map((user): Member => [user, 'member']));
      const all = await items(`${org.path}/members?limit=200`, owner);
      expect(all.map((m: { userId: string }) => m.userId)).toEqual([owner, ...others].map((u) => u.id));
      const pages: Array<{ items: unknown[]; nextCursor: string | null }> = [];
      let cursor: string | null = null;
      do {
        const query = cursor === null ? '' : `&cursor=${cursor}`;
        pages.push(await ok('GET', `${org.path}/members?limit=3${query}`, owner));
        cursor = pages[pages.length - 1]!.nextCursor;
      } while (cursor !== null && pages.length < 10);
      expect(pages.map((page) => page.items.length)).toEqual([3, 3, 1]);
      expect(pages.map((page) => page.nextCursor === null)).toEqual([false, false, true]);
      expect(pages.flatMap((page) => page.items)).toEqual(all);
      // A page that holds the last item carries no cursor, even when it is full.
      expect(await ok('GET', `${org.path}/members?limit=7`, owner)).toEqual({
        items: all,
        nextCursor: null,
      });
      const six = await ok('GET', `${org.path}/members?limit=6`, owner);
      expect(six.items).toEqual(all.slice(0, 6));
      const last = await ok('GET', `${org.path}/members?limit=6&cursor=${six.nextCursor}`, owner);
      expect(last).toEqual({ items: all.slice(6), nextCursor: null });
    });

    it('answers 50 items a page by default', async () => {
      const [user] = await register('joiner');
      // Orgs appended directly (org-fixtures), in parallel: 51 over HTTP would take seconds.
      const slugs = (await Promise.all(Array.from({ length: 51 }, () => createOrg(app, user.id))))
        .map((org) => org.slug)
        .sort();
      await app.catchUp();
      const first = await ok('GET', '/v1/orgs', user);
      expect([first.items.length, typeof first.nextCursor]).toEqual([50, 'string']);
      const second = await ok('GET', `/v1/orgs?cursor=${first.nextCursor}`, user);
      expect(second.nextCursor).toBeNull();
      expect([...first.items, ...second.items].map((org: { slug: string }) => org.slug)).toEqual(slugs);
    });
  });

  describe('operator', () => {
    const scrape = async () => {
      const answer = await app.request('GET', '/metrics');
      expect(answer.status).toBe(200);
      return answer.body as string;
    };
    const value = (text: string, name: string, projection: string) => {
      const line = new RegExp(`^${name}\\{projection="${projection}"\\} (\\S+)$`, 'm').exec(text);
      if (!line) throw new Error(`no ${name}{projection="${projection}"} in /metrics`);
      return Number(line[1]);
    };

    it('GET /v1/admin/projections shows every projection, caught up, to the operator only', async () => {
      await app.catchUp();
      const answer = await get('/v1/admin/projections', OPERATOR_TOKEN);
      expect(answer.status).toBe(200);
      const head = await app.eventStore.headPosition();
      expect(answer.body.projections).toEqual(
        PROJECTIONS.map((projection) =>
          expect.objectContaining({
            name: projection.name,
            version: projection.version,
            state: 'live',
            position: head,
            head,
            lagEvents: 0,
            lagSeconds: 0,
            lastError: null,
          }),
        ),
      );
      const [user] = await register('nosy');
      expect(expectProblem(await get('/v1/admin/projections', user), 403).body.code).toBe(
        'AUTH.OPERATOR_ONLY',
      );
      expectProblem(await get('/v1/admin/projections'), 401);
    });

    it('GET /metrics mirrors each projection status, and its applied count grows with commands', async () => {
      await app.catchUp();
      await sleep(600); // past the metrics' status snapshot (500 ms)
      const before = await scrape();
      expect(before).toContain('# TYPE tenantry_projection_events_applied_total counter');
      const { projections } = (await get('/v1/admin/projections', OPERATOR_TOKEN)).body;
      const statuses = new Map((projections as ProjectionStatus[]).map((status) => [status.name, status]));
      const figures = (text: string, name: string) =>
        ['lag_events', 'lag_seconds', 'failed', 'events_applied_total'].map((metric) =>
          value(text, `tenantry_projection_${metric}`, name),
        );
      for (const { name } of PROJECTIONS) {
        const applied = statuses.get(name)?.eventsApplied;
        expect([name, ...figures(before, name)]).toEqual([name, 0, 0, 0, applied]);
        expect(applied).toBeGreaterThan(0);
      }
      await newOrg((await register('busy'))[0]);
      await sleep(600);
      const after = await scrape();
      for (const name of ['users', 'organizations', 'chat-access']) {
        const applied = (text: string) => value(text, 'tenantry_projection_events_applied_total', name);
        expect(applied(after)).toBeGreaterThan(applied(before));
      }
    });
  });
});
