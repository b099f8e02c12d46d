import { randomUUID } from 'node:crypto';
import { AggregateStore } from '../../libs/command-runtime/index.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import { type OrganizationEvent } from '../../libs/domain/organization/organization.events.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { ANY } from '../../libs/event-store/index.js';
import { CountingEventStore } from '../support/counting-event-store.js';
import { contextOf } from './support/org-fixtures.js';
import { type ApiAnswer, startE2eApp, type E2eApp } from './support/e2e-app.js';

/**
 * DESIGN.md §7 "Scale", over HTTP on real Postgres: a command's cost does not
 * grow with its tenant, and concurrent commands that touch different members
 * or different chats of one org never answer 409. Cost is counted as the
 * events the API's command side reads from the event store (through a
 * counting wrapper), not timed.
 */
describe('the write side at tenant scale (DESIGN.md §7)', () => {
  const MEMBERS = 5_000;
  /** Events a warm command may read: those appended since its streams were last loaded, a few at most. */
  const WARM_READS = 5;

  let app: E2eApp;
  let counting: CountingEventStore;
  let owner: { id: string; token: string };
  let orgId: string;
  let someMembers: string[];

  beforeAll(async () => {
    app = await startE2eApp({
      consistencyWaitMs: 120_000,
      wrapEventStore: (eventStore) => (counting = new CountingEventStore(eventStore)),
    });
    owner = await app.registerUser('owner');
    const created = await app.request('POST', '/v1/orgs', {
      token: owner.token,
      body: { slug: `big-${Date.now()}`, name: 'Big' },
    });
    expect(created.status).toBe(201);
    orgId = created.body.org.id;
    // 5,000 members appended straight to the org's stream, as their additions would have been.
    someMembers = Array.from({ length: MEMBERS }, () => randomUUID());
    const writer = new AggregateStore(app.eventStore, upcasters);
    for (let i = 0; i < MEMBERS; i += 500) {
      const events = someMembers.slice(i, i + 500).map((userId): OrganizationEvent => ({
        type: 'OrgMemberAdded',
        data: { orgId, userId, role: 'member' },
      }));
      await app.eventStore.append(
        streams.organization(orgId),
        writer.envelope(events, contextOf(owner.id), orgId),
        ANY,
      );
    }
    await app.catchUp();
    expect((await app.request('GET', '/v1/users/me', { token: owner.token })).status).toBe(200);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  const orgPath = () => `/v1/orgs/${orgId}`;
  const expectStatus = (answer: ApiAnswer, status: number) =>
    expect({ status: answer.status, body: answer.status === status ? undefined : answer.body }).toEqual({
      status,
      body: undefined,
    });
  /** Runs the request and answers how many events the command side read for it. */
  async function eventsReadBy(request: () => Promise<ApiAnswer>, status: number): Promise<number> {
    counting.reset();
    const answer = await request();
    expectStatus(answer, status);
    return counting.reset().events;
  }
  const newChat = async () => {
    const answer = await app.request('POST', `${orgPath()}/chats`, {
      token: owner.token,
      body: { title: 'Plans' },
    });
    expectStatus(answer, 201);
    return answer.body.chat.id as string;
  };
  const share = (chatId: string, userId: string, role: string) =>
    app.request('PATCH', `${orgPath()}/chats/${chatId}/acl`, {
      token: owner.token,
      body: { users: { [userId]: role } },
    });
  const post = (chatId: string) =>
    app.request('POST', `${orgPath()}/chats/${chatId}/messages`, {
      token: owner.token,
      body: { body: 'hi' },
    });
  const setRole = (userId: string, role: string) =>
    app.request('PUT', `${orgPath()}/members/${userId}`, { token: owner.token, body: { role } });

  it(`reads a bounded number of events to decide a post, a share and a member change in an org of ${MEMBERS} members`, async () => {
    const group = await app.request('POST', `${orgPath()}/groups`, {
      token: owner.token,
      body: { name: 'Everyone' },
    });
    expectStatus(group, 201);
    const groupId = group.body.group.id as string;
    for (const userId of someMembers.slice(0, 50)) {
      expectStatus(
        await app.request('PUT', `${orgPath()}/groups/${groupId}/members/${userId}`, { token: owner.token }),
        201,
      );
    }
    const chatId = await newChat();
    const withGroup = await app.request('PATCH', `${orgPath()}/chats/${chatId}/acl`, {
      token: owner.token,
      body: { groups: { [groupId]: 'viewer' } },
    });
    expectStatus(withGroup, 200);
    // The cache is warm now; every command below catches up from it.
    const reads = {
      post: await eventsReadBy(() => post(chatId), 201),
      share: await eventsReadBy(() => share(chatId, someMembers[100]!, 'viewer'), 200),
      reshare: await eventsReadBy(() => share(chatId, someMembers[100]!, 'editor'), 200),
      roleChange: await eventsReadBy(() => setRole(someMembers[200]!, 'admin'), 200),
      removal: await eventsReadBy(
        () => app.request('DELETE', `${orgPath()}/members/${someMembers[201]}`, { token: owner.token }),
        204,
      ),
      postAgain: await eventsReadBy(() => post(chatId), 201),
    };
    for (const [command, read] of Object.entries(reads)) {
      expect({ command, read: read <= WARM_READS }).toEqual({ command, read: true });
    }
  });

  it('replays the org once when the cache is cold, proving the counts above measure its stream', async () => {
    const cold = new AggregateStore(counting, upcasters);
    counting.reset();
    await cold.load(organizationDecider, streams.organization(orgId));
    expect(counting.reset().events).toBeGreaterThan(MEMBERS);
  });

  it('adds 32 users to the org at once without a single 409', async () => {
    const users = await Promise.all(Array.from({ length: 32 }, (_, i) => app.registerUser(`joiner${i}`)));
    await app.catchUp();
    const answers = await Promise.all(users.map((user) => setRole(user.id, 'member')));
    expect(answers.map((a) => a.status)).toEqual(Array(32).fill(201));
  });

  it('shares 32 chats of the org at once without a single 409', async () => {
    const chats: string[] = [];
    for (let i = 0; i < 32; i++) chats.push(await newChat());
    const answers = await Promise.all(chats.map((chatId, i) => share(chatId, someMembers[i]!, 'viewer')));
    expect(answers.map((a) => a.status)).toEqual(Array(32).fill(200));
  });

  it('changes 32 members of the org at once, and shares one chat with 32 users at once, without a single 409', async () => {
    const chatId = await newChat();
    const [roles, shares] = await Promise.all([
      Promise.all(someMembers.slice(300, 332).map((userId) => setRole(userId, 'auditor'))),
      Promise.all(someMembers.slice(400, 432).map((userId) => share(chatId, userId, 'viewer'))),
    ]);
    expect(roles.map((a) => a.status)).toEqual(Array(32).fill(200));
    expect(shares.map((a) => a.status)).toEqual(Array(32).fill(200));
  });
});
