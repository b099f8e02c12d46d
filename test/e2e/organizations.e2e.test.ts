import {
  type ApiAnswer,
  expectProblem,
  OPERATOR_TOKEN,
  startE2eApp,
  type E2eApp,
} from './support/e2e-app.js';

type User = { id: string; token: string };
const RANDOM_ID = '00000000-0000-4000-8000-000000000000';
let slugs = 0;

describe('organizations over HTTP (DESIGN.md §5, §10)', () => {
  let app: E2eApp;
  /** The 404 of an organization that does not exist: every "cannot see it" must answer exactly this. */
  let missing: ApiAnswer;

  beforeAll(async () => {
    app = await startE2eApp();
    const someone = await app.registerUser('someone');
    missing = await app.request('PATCH', `/v1/orgs/${RANDOM_ID}/settings`, {
      token: someone.token,
      body: { chatSharingDisabled: true },
    });
    expectProblem(missing, 404);
  });
  afterAll(async () => {
    await app?.close();
  });

  const count = async () => (await app.allEvents()).length;
  const setRole = (orgId: string, actor: User, userId: string, role: string) =>
    app.request('PUT', `/v1/orgs/${orgId}/members/${userId}`, { token: actor.token, body: { role } });
  const streamOf = async (orgId: string) =>
    (await app.allEvents()).filter((e) => e.streamName === `org-${orgId}/organization`);

  /** Sends a request that must be refused with `status`, and checks that nothing was appended. */
  async function refused(send: () => Promise<ApiAnswer>, status: number, fields?: string[]) {
    const before = await count();
    const answer = expectProblem(await send(), status, fields);
    expect(await count()).toBe(before);
    return answer;
  }

  /** An org owned by a fresh user, with one fresh user per role asked for. */
  async function newOrg(...roles: string[]) {
    const owner = await app.registerUser('owner');
    const slug = `org-${++slugs}-${Date.now()}`;
    const created = await app.request('POST', '/v1/orgs', { token: owner.token, body: { slug, name: slug } });
    expect(created.status).toBe(201);
    const members: User[] = [];
    for (const role of roles) {
      const user = await app.registerUser(role);
      const added = await app.request('PUT', `/v1/orgs/${created.body.org.id}/members/${user.id}`, {
        token: owner.token,
        body: { role },
      });
      expect(added.status).toBe(201);
      members.push(user);
    }
    return { id: created.body.org.id as string, slug, owner, members };
  }

  describe('POST /v1/orgs', () => {
    it('creates the org with the caller as owner, the slug reserved in the log', async () => {
      const ada = await app.registerUser('ada');
      const answer = await app.request('POST', '/v1/orgs', {
        token: ada.token,
        body: { slug: 'acme', name: 'Acme' },
      });
      expect(answer.status).toBe(201);
      const settings = { chatSharingDisabled: false, workspaceSharingDisabled: false };
      expect(answer.body).toEqual({
        org: { id: expect.any(String), slug: 'acme', name: 'Acme', settings },
        position: expect.any(String),
      });
      expect(answer.headers.get('x-consistency-token')).toBe(answer.body.position);
      const orgId = answer.body.org.id;
      const events = (await app.allEvents()).filter((e) => e.metadata.orgId === orgId);
      expect(events.map((e) => [e.streamName, e.type])).toEqual([
        ['reservation-org-slug-acme', 'SlugReserved'],
        [`org-${orgId}/organization`, 'OrganizationCreated'],
        [`org-${orgId}/organization`, 'OrgMemberAdded'],
      ]);
      expect(events[2]!.data).toEqual({ orgId, userId: ada.id, role: 'owner' });
      for (const event of events) expect(event.metadata.actorId).toBe(ada.id);
    });

    it('refuses a taken slug with 409 ORG.SLUG_TAKEN', async () => {
      const { slug } = await newOrg();
      const other = await app.registerUser('other');
      const answer = await refused(
        () => app.request('POST', '/v1/orgs', { token: other.token, body: { slug, name: 'X' } }),
        409,
      );
      expect(answer.body.code).toBe('ORG.SLUG_TAKEN');
    });

    it('refuses a bad slug, a bad name, a missing or unknown field with 400 naming it', async () => {
      const { token } = await app.registerUser('sloppy');
      const post = (body: object) => () => app.request('POST', '/v1/orgs', { token, body });
      for (const slug of ['A', 'Acme', '-acme', 'ac_me', 'x'.repeat(65)]) {
        await refused(post({ slug, name: 'X' }), 400, ['slug']);
      }
      await refused(post({ slug: 'fine-slug', name: ' ' }), 400, ['name']);
      await refused(post({ slug: 'fine-slug' }), 400, ['name']);
      await refused(post({ slug: 'fine-slug', name: 'X', owner: 'me' }), 400, ['owner']);
    });

    it('answers 401 without a token and 404 to the operator (no tenant access)', async () => {
      const body = { slug: 'nobody', name: 'N' };
      await refused(() => app.request('POST', '/v1/orgs', { body }), 401);
      await refused(() => app.request('POST', '/v1/orgs', { token: OPERATOR_TOKEN, body }), 404);
    });

    it('gives a slug to exactly one of two concurrent creations', async () => {
      const [a, b] = [await app.registerUser('a'), await app.registerUser('b')];
      const body = { slug: 'contested', name: 'Contested' };
      const answers = await Promise.all(
        [a, b].map((user) => app.request('POST', '/v1/orgs', { token: user.token, body })),
      );
      expect(answers.map((x) => [x.status, x.body.code]).sort()).toEqual([
        [201, undefined],
        [409, 'ORG.SLUG_TAKEN'],
      ]);
      const events = (await app.allEvents()).filter(
        (e) => (e.data as { slug?: string }).slug === 'contested',
      );
      expect(events.map((e) => e.type)).toEqual(['SlugReserved', 'OrganizationCreated']);
    });
  });

  describe('every tenant route', () => {
    it('answers 404, with the same body as a missing org, to whoever is not a member', async () => {
      const org = await newOrg('member');
      const outsider = await app.registerUser('outsider');
      const elsewhere = (await newOrg()).owner; // a member of another tenant
      const target = org.members[0]!.id;
      const routes: [string, string, object?][] = [
        ['PATCH', `/v1/orgs/${org.id}/settings`, { chatSharingDisabled: true }],
        ['PUT', `/v1/orgs/${org.id}/members/${target}`, { role: 'admin' }],
        ['DELETE', `/v1/orgs/${org.id}/members/${target}`],
        ['PATCH', `/v1/orgs/${org.slug}/settings`, { chatSharingDisabled: true }],
      ];
      for (const [method, path, body] of routes) {
        for (const token of [outsider.token, elsewhere.token, OPERATOR_TOKEN]) {
          const answer = await refused(() => app.request(method, path, { token, body }), 404);
          expect(answer.body).toEqual(missing.body);
        }
        await refused(() => app.request(method, path, { body }), 401);
      }
      // An unknown slug, and an {org} that is neither id nor slug, are missing too.
      for (const ref of ['no-such-org', 'Not_A_Slug']) {
        const answer = await refused(
          () => app.request('DELETE', `/v1/orgs/${ref}/members/${target}`, { token: org.owner.token }),
          404,
        );
        expect(answer.body).toEqual(missing.body);
      }
    });
  });

  describe('PATCH /v1/orgs/{org}/settings', () => {
    it('lets owners and admins change settings, by id or slug; no change appends nothing', async () => {
      const org = await newOrg('admin');
      const answer = await app.request('PATCH', `/v1/orgs/${org.slug}/settings`, {
        token: org.members[0]!.token,
        body: { chatSharingDisabled: true },
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        settings: { chatSharingDisabled: true, workspaceSharingDisabled: false },
        position: answer.headers.get('x-consistency-token'),
      });
      const last = (await streamOf(org.id)).at(-1)!;
      expect(last.type).toBe('OrgSettingsChanged');
      expect(last.metadata).toMatchObject({ orgId: org.id, actorId: org.members[0]!.id });
      const before = await count();
      const again = await app.request('PATCH', `/v1/orgs/${org.id}/settings`, {
        token: org.owner.token,
        body: { chatSharingDisabled: true },
      });
      expect(again.status).toBe(200);
      expect(again.body.position).toBe(answer.body.position);
      expect(await count()).toBe(before);
    });

    it('answers 403 to members and auditors, and 400 naming the fields of a bad change', async () => {
      const org = await newOrg('member', 'auditor');
      const patch = (token: string, body: object) => () =>
        app.request('PATCH', `/v1/orgs/${org.id}/settings`, { token, body });
      for (const user of org.members) await refused(patch(user.token, { chatSharingDisabled: true }), 403);
      const { token } = org.owner;
      await refused(patch(token, {}), 400, ['chatSharingDisabled', 'workspaceSharingDisabled']);
      await refused(patch(token, { chatSharingDisabled: 'yes' }), 400, ['chatSharingDisabled']);
      await refused(patch(token, { workspaceSharingDisabled: null }), 400, ['workspaceSharingDisabled']);
      await refused(patch(token, { chatSharingDisabled: true, sharing: false }), 400, ['sharing']);
    });
  });

  describe('PUT /v1/orgs/{org}/members/{userId}', () => {
    it('adds a user (201), changes a role (200), and appends nothing for the same role', async () => {
      const org = await newOrg();
      const bob = await app.registerUser('bob');
      const put = (role: string) =>
        app.request('PUT', `/v1/orgs/${org.id}/members/${bob.id}`, {
          token: org.owner.token,
          body: { role },
        });
      const added = await put('member');
      expect(added.status).toBe(201);
      expect(added.body).toEqual({
        member: { userId: bob.id, role: 'member' },
        position: expect.any(String),
      });
      const changed = await put('admin');
      expect(changed.status).toBe(200);
      expect(changed.body.member).toEqual({ userId: bob.id, role: 'admin' });
      const events = (await streamOf(org.id)).slice(-2);
      expect(events.map((e) => e.type)).toEqual(['OrgMemberAdded', 'MemberRoleChanged']);
      expect(events[1]!.data).toMatchObject({ scope: 'organization', role: 'admin', previousRole: 'member' });
      for (const e of events) expect(e.metadata).toMatchObject({ orgId: org.id, actorId: org.owner.id });
      const before = await count();
      expect((await put('admin')).status).toBe(200);
      expect(await count()).toBe(before);
    });

    it('applies the role rules: 403 for members, auditors, admins granting owner, self-promotion', async () => {
      const org = await newOrg('member', 'auditor', 'admin');
      const [member, auditor, admin] = org.members as [User, User, User];
      const put = (actor: User, userId: string, role: string) => () =>
        app.request('PUT', `/v1/orgs/${org.id}/members/${userId}`, { token: actor.token, body: { role } });
      for (const actor of [member, auditor]) await refused(put(actor, admin.id, 'member'), 403);
      expect((await refused(put(admin, member.id, 'owner'), 403)).body.code).toBe('ORG.OWNER_ONLY');
      expect((await refused(put(admin, admin.id, 'owner'), 403)).body.code).toBe('ORG.SELF_ROLE');
      expect((await refused(put(member, member.id, 'admin'), 403)).body.code).toBe('ORG.SELF_ROLE');
      expect((await setRole(org.id, admin, member.id, 'auditor')).status).toBe(200);
    });

    it('protects the last owner (409) and lets an owner step down while another remains', async () => {
      const org = await newOrg('owner');
      const second = org.members[0]!;
      const stepDown = (owner: User) => () => setRole(org.id, owner, owner.id, 'admin');
      expect((await stepDown(org.owner)()).status).toBe(200);
      expect((await refused(stepDown(second), 409)).body.code).toBe('ORG.LAST_OWNER');
    });

    it('refuses a bad role, a bad or unknown user id and unknown fields with 400 naming them', async () => {
      const org = await newOrg();
      const { token } = org.owner;
      const bob = await app.registerUser('bob');
      const put = (userId: string, body: object) => () =>
        app.request('PUT', `/v1/orgs/${org.id}/members/${userId}`, { token, body });
      // The domain's rule, answered as on the workspace and chat routes.
      expect((await refused(put(bob.id, { role: 'superuser' }), 400, ['role'])).body.code).toBe('INPUT.ROLE');
      await refused(put(bob.id, {}), 400, ['role']);
      await refused(put(bob.id, { role: 'member', admin: true }), 400, ['admin']);
      await refused(put('not-a-uuid', { role: 'member' }), 400, ['userId']);
      await refused(put(RANDOM_ID, { role: 'member' }), 400, ['userId']);
    });
  });

  describe('DELETE /v1/orgs/{org}/members/{userId}', () => {
    it('removes a member (204 with a consistency token), who then no longer sees the org', async () => {
      const org = await newOrg('member', 'admin');
      const [member, admin] = org.members as [User, User];
      const removed = await app.request('DELETE', `/v1/orgs/${org.id}/members/${member.id}`, {
        token: org.owner.token,
      });
      expect(removed.status).toBe(204);
      expect(removed.headers.get('x-consistency-token')).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
      const last = (await streamOf(org.id)).at(-1)!;
      expect(last).toMatchObject({
        type: 'OrgMemberRemoved',
        data: { userId: member.id, previousRole: 'member' },
        metadata: { orgId: org.id, actorId: org.owner.id },
      });
      const answer = await refused(() => setRole(org.id, member, admin.id, 'member'), 404);
      expect(answer.body).toEqual(missing.body);
      // No longer a member: removing them again is as missing as any non-member.
      await refused(
        () => app.request('DELETE', `/v1/orgs/${org.id}/members/${member.id}`, { token: org.owner.token }),
        404,
      );
    });

    it('answers 403 to members, 409 for the last owner, 400 for a bad id', async () => {
      const org = await newOrg('member', 'admin');
      const [member, admin] = org.members as [User, User];
      const del = (actor: User, userId: string) => () =>
        app.request('DELETE', `/v1/orgs/${org.id}/members/${userId}`, { token: actor.token });
      await refused(del(member, admin.id), 403);
      expect((await refused(del(admin, org.owner.id), 403)).body.code).toBe('ORG.OWNER_ONLY');
      expect((await refused(del(org.owner, org.owner.id), 409)).body.code).toBe('ORG.LAST_OWNER');
      await refused(del(org.owner, 'nope'), 400, ['userId']);
    });
  });

  it('leaves exactly one owner when the only two owners step down at once', async () => {
    const org = await newOrg('owner');
    const owners = [org.owner, org.members[0]!];
    const answers = await Promise.all(owners.map((o) => setRole(org.id, o, o.id, 'admin')));
    expect(answers.map((a) => [a.status, a.body.code]).sort()).toEqual([
      [200, undefined],
      [409, 'ORG.LAST_OWNER'],
    ]);
    const roles = new Map<string, string>();
    for (const event of await streamOf(org.id)) {
      const data = event.data as { userId?: string; role?: string };
      if (data.userId && data.role) roles.set(data.userId, data.role);
    }
    expect([...roles.values()].filter((role) => role === 'owner')).toHaveLength(1);
  });
});
