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

describe('groups over HTTP (DESIGN.md §5 Group, §10)', () => {
  let app: E2eApp;
  /** An org owned by `owner`, with an admin, a member and an auditor. */
  let org: { id: string; slug: string; owner: User; admin: User; member: User; auditor: User };
  /** Another tenant, and its owner. */
  let other: { id: string; owner: User };
  /** The 404 of an org that does not exist: every "cannot see it" must answer exactly this. */
  let missing: ApiAnswer;

  beforeAll(async () => {
    app = await startE2eApp();
    const [owner, admin, member, auditor] = await Promise.all(
      ['owner', 'admin', 'member', 'auditor'].map((name) => app.registerUser(name)),
    );
    const made = await newOrg(owner!);
    org = { ...made, owner: owner!, admin: admin!, member: member!, auditor: auditor! };
    for (const [user, role] of [
      [admin, 'admin'],
      [member, 'member'],
      [auditor, 'auditor'],
    ] as const) {
      const added = await app.request('PUT', `/v1/orgs/${org.id}/members/${user!.id}`, {
        token: owner!.token,
        body: { role },
      });
      expect(added.status).toBe(201);
    }
    const otherOwner = await app.registerUser('other-owner');
    other = { id: (await newOrg(otherOwner)).id, owner: otherOwner };
    missing = await app.request('POST', `/v1/orgs/${RANDOM_ID}/groups`, {
      token: owner!.token,
      body: { name: 'X' },
    });
    expectProblem(missing, 404);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function newOrg(owner: User) {
    const slug = `groups-${++slugs}-${Date.now()}`;
    const created = await app.request('POST', '/v1/orgs', { token: owner.token, body: { slug, name: slug } });
    expect(created.status).toBe(201);
    return { id: created.body.org.id as string, slug };
  }

  const count = async () => (await app.allEvents()).length;

  /** Sends a request that must be refused with `status`, and checks that nothing was appended. */
  async function refused(send: () => Promise<ApiAnswer>, status: number, fields?: string[]) {
    const before = await count();
    const answer = expectProblem(await send(), status, fields);
    expect(await count()).toBe(before);
    return answer;
  }

  async function newGroup(inOrg = org.id, token = org.owner.token): Promise<string> {
    const answer = await app.request('POST', `/v1/orgs/${inOrg}/groups`, { token, body: { name: 'Team' } });
    expect(answer.status).toBe(201);
    return answer.body.group.id;
  }

  const lastEventOf = async (groupId: string, orgId = org.id) =>
    (await app.allEvents()).filter((e) => e.streamName === `org-${orgId}/group-${groupId}`).at(-1)!;

  describe('POST /v1/orgs/{org}/groups', () => {
    it('lets owners and admins create a group, by org id or slug', async () => {
      for (const [actor, ref] of [
        [org.owner, org.id],
        [org.admin, org.slug],
      ] as const) {
        const answer = await app.request('POST', `/v1/orgs/${ref}/groups`, {
          token: actor.token,
          body: { name: 'Designers' },
        });
        expect(answer.status).toBe(201);
        expect(answer.body).toEqual({
          group: { id: expect.any(String), name: 'Designers' },
          position: answer.headers.get('x-consistency-token'),
        });
        expect(await lastEventOf(answer.body.group.id)).toMatchObject({
          type: 'GroupCreated',
          data: { orgId: org.id, groupId: answer.body.group.id, name: 'Designers' },
          metadata: { orgId: org.id, actorId: actor.id },
        });
      }
    });

    it('answers 403 to members and auditors, 400 naming a bad or unknown field', async () => {
      const post = (token: string, body: object) => () =>
        app.request('POST', `/v1/orgs/${org.id}/groups`, { token, body });
      for (const user of [org.member, org.auditor]) await refused(post(user.token, { name: 'X' }), 403);
      await refused(post(org.owner.token, { name: ' ' }), 400, ['name']);
      await refused(post(org.owner.token, { name: 'x'.repeat(101) }), 400, ['name']);
      await refused(post(org.owner.token, {}), 400, ['name']);
      await refused(post(org.owner.token, { name: 'X', members: [] }), 400, ['members']);
    });
  });

  describe('every group route', () => {
    it('answers 404, with the same body as a missing org, to whoever is not an org member', async () => {
      const groupId = await newGroup();
      const outsider = await app.registerUser('outsider');
      const base = `/v1/orgs/${org.id}/groups`;
      const routes: [string, string, object?][] = [
        ['POST', base, { name: 'X' }],
        ['PUT', `${base}/${groupId}/members/${org.member.id}`],
        ['DELETE', `${base}/${groupId}/members/${org.member.id}`],
        ['DELETE', `${base}/${groupId}`],
        ['POST', `/v1/orgs/${org.slug}/groups`, { name: 'X' }],
      ];
      for (const [method, path, body] of routes) {
        for (const token of [outsider.token, other.owner.token, OPERATOR_TOKEN]) {
          const answer = await refused(() => app.request(method, path, { token, body }), 404);
          expect(answer.body).toEqual(missing.body);
        }
        await refused(() => app.request(method, path, { body }), 401);
      }
    });

    it('answers 404 for a missing group, or another org’s group, and 400 naming a bad id', async () => {
      const theirs = await newGroup(other.id, other.owner.token);
      const { token } = org.owner;
      for (const groupId of [RANDOM_ID, theirs]) {
        for (const [method, path] of [
          ['PUT', `/members/${org.member.id}`],
          ['DELETE', `/members/${org.member.id}`],
          ['DELETE', ''],
        ] as const) {
          const answer = await refused(
            () => app.request(method, `/v1/orgs/${org.id}/groups/${groupId}${path}`, { token }),
            404,
          );
          expect(answer.body).toEqual(missing.body);
        }
      }
      const groupId = await newGroup();
      const base = `/v1/orgs/${org.id}/groups`;
      await refused(() => app.request('PUT', `${base}/nope/members/${org.member.id}`, { token }), 400, [
        'groupId',
      ]);
      await refused(() => app.request('DELETE', `${base}/${groupId}/members/nope`, { token }), 400, [
        'userId',
      ]);
      await refused(() => app.request('DELETE', `${base}/nope`, { token }), 400, ['groupId']);
    });
  });

  describe('PUT and DELETE /v1/orgs/{org}/groups/{groupId}/members/{userId}', () => {
    it('adds an org member (201, then 200 appending nothing) and removes them (204, idempotent)', async () => {
      const groupId = await newGroup();
      const path = `/v1/orgs/${org.id}/groups/${groupId}/members/${org.auditor.id}`;
      const added = await app.request('PUT', path, { token: org.admin.token });
      expect(added.status).toBe(201);
      expect(added.body).toEqual({
        groupId,
        userId: org.auditor.id,
        position: added.headers.get('x-consistency-token'),
      });
      expect(await lastEventOf(groupId)).toMatchObject({
        type: 'GroupMemberAdded',
        data: { orgId: org.id, groupId, userId: org.auditor.id },
        metadata: { orgId: org.id, actorId: org.admin.id },
      });
      let before = await count();
      const again = await app.request('PUT', path, { token: org.owner.token });
      expect([again.status, again.body.position]).toEqual([200, added.body.position]);
      expect(await count()).toBe(before);

      const removed = await app.request('DELETE', path, { token: org.owner.token });
      expect(removed.status).toBe(204);
      expect(removed.headers.get('x-consistency-token')).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
      expect(await lastEventOf(groupId)).toMatchObject({
        type: 'GroupMemberRemoved',
        data: { orgId: org.id, groupId, userId: org.auditor.id },
        metadata: { orgId: org.id, actorId: org.owner.id },
      });
      before = await count();
      expect((await app.request('DELETE', path, { token: org.owner.token })).status).toBe(204);
      expect(await count()).toBe(before);
    });

    it('refuses a user who is not an org member with 400 naming userId', async () => {
      const groupId = await newGroup();
      const outsider = await app.registerUser('outsider');
      for (const userId of [outsider.id, other.owner.id, RANDOM_ID]) {
        const answer = await refused(
          () =>
            app.request('PUT', `/v1/orgs/${org.id}/groups/${groupId}/members/${userId}`, {
              token: org.owner.token,
            }),
          400,
          ['userId'],
        );
        expect(answer.body.code).toBe('GROUP.NOT_ORG_MEMBER');
      }
    });

    it('answers 403 to members and auditors', async () => {
      const groupId = await newGroup();
      const path = `/v1/orgs/${org.id}/groups/${groupId}/members/${org.member.id}`;
      for (const user of [org.member, org.auditor]) {
        for (const method of ['PUT', 'DELETE']) {
          await refused(() => app.request(method, path, { token: user.token }), 403);
        }
      }
    });
  });

  describe('DELETE /v1/orgs/{org}/groups/{groupId}', () => {
    it('deletes the group (204); it is then missing for every route', async () => {
      const groupId = await newGroup();
      for (const user of [org.member, org.auditor]) {
        await refused(
          () => app.request('DELETE', `/v1/orgs/${org.id}/groups/${groupId}`, { token: user.token }),
          403,
        );
      }
      const deleted = await app.request('DELETE', `/v1/orgs/${org.id}/groups/${groupId}`, {
        token: org.admin.token,
      });
      expect(deleted.status).toBe(204);
      expect(deleted.headers.get('x-consistency-token')).toMatch(/^[0-9a-f]{16}-[0-9a-f]{16}$/);
      expect(await lastEventOf(groupId)).toMatchObject({
        type: 'GroupDeleted',
        data: { orgId: org.id, groupId },
        metadata: { orgId: org.id, actorId: org.admin.id },
      });
      const { token } = org.owner;
      for (const [method, path] of [
        ['DELETE', ''],
        ['PUT', `/members/${org.member.id}`],
      ] as const) {
        const answer = await refused(
          () => app.request(method, `/v1/orgs/${org.id}/groups/${groupId}${path}`, { token }),
          404,
        );
        expect(answer.body).toEqual(missing.body);
      }
    });
  });
});
