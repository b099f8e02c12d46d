import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ChatFactsLoader } from '../../libs/application/index.js';
import { type AccessDecision } from '../../libs/authz/evaluate.js';
import { ACL_ROLES, ORG_ROLES, WORKSPACE_ROLES } from '../../libs/authz/policy.js';
import { AggregateStore } from '../../libs/command-runtime/index.js';
import { decideAccess } from '../../libs/domain/chat/chat-access.js';
import { type ExistingChat } from '../../libs/domain/chat/chat.state.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import { streams } from '../../libs/domain/streams.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type Action } from '../../projections/chat-access/testing/random-history.js';
import { type E2eApp, startE2eApp } from '../e2e/support/e2e-app.js';

/**
 * The oracle of the query side (issue 4, DESIGN.md §2): random command
 * sequences over two orgs, sent through the API; then, for every user and
 * every chat ever created, the query side's answers (GET of the chat, and
 * every page of the chat list) must equal libs/authz evaluated on the state
 * replayed from the event store by the command side's own loaders. Any
 * projection that maps an event to the wrong rows, misses a scope, or reads
 * a stale fact makes some answer differ.
 */
const RUNS = Number(process.env.ORACLE_RUNS ?? 200);
const USERS = 5;

/** A step of projections/chat-access's random histories, in one of the two orgs. */
type OracleAction = Action & { readonly org: number };

const org = fc.nat(1);
/** 0 is the org's creator most of the time: refusals are fine, but a sequence should get somewhere. */
const actor = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(USERS - 1) });
const user = fc.nat(USERS - 1);
const index = fc.nat(5);

const action: fc.Arbitrary<OracleAction> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('setOrgRole' as const),
      org,
      actor,
      target: user,
      role: fc.constantFrom(...ORG_ROLES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('removeOrgMember' as const), org, actor, target: user }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('settings' as const),
      org,
      actor,
      chatSharingDisabled: fc.boolean(),
      workspaceSharingDisabled: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createGroup' as const), org, actor }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('groupMember' as const),
      org,
      actor,
      group: index,
      target: user,
      add: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('deleteGroup' as const), org, actor, group: index }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createWorkspace' as const), org, actor }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('workspaceMember' as const),
      org,
      actor,
      workspace: index,
      target: user,
      role: fc.constantFrom(...WORKSPACE_ROLES, null),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('archive' as const),
      org,
      actor,
      workspace: index,
      archived: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('createChat' as const),
      org,
      actor,
      chat: fc.constant(0),
      workspace: fc.option(index),
      parent: fc.option(index),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('share' as const),
      org,
      actor,
      chat: index,
      subject: fc.constantFrom('user' as const, 'group' as const),
      target: user,
      role: fc.constantFrom(...ACL_ROLES, ''),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteChat' as const), org, actor, chat: index }) },
);

/**
 * Where each sequence starts, so that most actions get somewhere: in each
 * org, the other users hold these roles (null: not a member), and the
 * creator has made one group of users 1 and 2, one workspace and two chats
 * (the second in the workspace), and shared the first with the group and
 * user 3.
 */
const setup = fc.array(
  fc.array(fc.option(fc.constantFrom(...ORG_ROLES)), { minLength: USERS, maxLength: USERS }),
  {
    minLength: 2,
    maxLength: 2,
  },
);

interface World {
  readonly orgIds: string[];
  readonly groups: string[][];
  readonly workspaces: string[][];
  readonly chats: string[][];
}

describe('the query side equals libs/authz on the replayed log (oracle)', () => {
  let app: E2eApp;
  let users: Array<{ id: string; token: string }>;
  let loader: ChatFactsLoader;
  let aggregates: AggregateStore;
  let run = 0;

  beforeAll(async () => {
    app = await startE2eApp();
    users = [];
    for (let i = 0; i < USERS; i++) users.push(await app.registerUser(`oracle-${i}`));
    aggregates = new AggregateStore(app.eventStore, upcasters);
    loader = new ChatFactsLoader(aggregates);
  }, 60_000);

  afterAll(() => app?.close());

  it(`holds for ${RUNS} random command sequences`, async () => {
    await fc.assert(
      fc.asyncProperty(setup, fc.array(action, { minLength: 4, maxLength: 24 }), async (roles, actions) => {
        const world = await newWorld(++run, roles);
        for (const step of actions) await perform(world, step);
        await app.catchUp();
        await Promise.all(world.orgIds.map((orgId, o) => compare(orgId, world.chats[o]!)));
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 900_000);

  async function newWorld(n: number, roles: ReadonlyArray<ReadonlyArray<string | null>>): Promise<World> {
    const world: World = { orgIds: [], groups: [[], []], workspaces: [[], []], chats: [[], []] };
    // The two orgs are independent: set up side by side.
    const setUp = async (o: number) => {
      const creator = users[o]!;
      const as = async (method: string, path: string, body?: unknown) => {
        const answer = await app.request(method, path, { token: creator.token, body, consistent: false });
        expect([method, path, answer.status]).toEqual([method, path, 201]);
        return answer.body;
      };
      const { org } = await as('POST', '/v1/orgs', {
        slug: `oracle-${process.pid}-${n}-${o}`,
        name: `O${n}.${o}`,
      });
      world.orgIds[o] = org.id;
      const base = `/v1/orgs/${org.id}`;
      for (let u = 0; u < USERS; u++) {
        const role = roles[o]![u];
        if (u !== o && role) await as('PUT', `${base}/members/${users[u]!.id}`, { role });
      }
      const { group } = await as('POST', `${base}/groups`, { name: 'g0' });
      world.groups[o]!.push(group.id);
      for (const u of [1, 2]) {
        if (u === o || roles[o]![u]) await as('PUT', `${base}/groups/${group.id}/members/${users[u]!.id}`);
      }
      const { workspace } = await as('POST', `${base}/workspaces`, { slug: 'ws-0', name: 'ws-0' });
      world.workspaces[o]!.push(workspace.id);
      world.chats[o]!.push((await as('POST', `${base}/chats`, { title: 'c0' })).chat.id);
      world.chats[o]!.push(
        (await as('POST', `${base}/chats`, { title: 'c1', workspaceId: workspace.id })).chat.id,
      );
      // Something to unshare: c0 with the group, and with user 3 when a member.
      const users3 = roles[o]![3] ? { [users[3]!.id]: 'viewer' } : {};
      const shared = await app.request('PATCH', `${base}/chats/${world.chats[o]![0]}/acl`, {
        token: creator.token,
        body: { users: users3, groups: { [group.id]: 'editor' } },
        consistent: false,
      });
      expect(shared.status).toBe(200);
    };
    await Promise.all([0, 1].map(setUp));
    return world;
  }

  /** Sends one action as its actor; a refusal (4xx) is part of the game, a 5xx is not. */
  async function perform(world: World, step: OracleAction): Promise<void> {
    const orgId = world.orgIds[step.org]!;
    // The org's creator is users[org]; other actors are the pool in order.
    const actorUser = step.actor === 0 ? users[step.org]! : users[step.actor]!;
    const base = `/v1/orgs/${orgId}`;
    const pick = (list: string[], i: number | null) =>
      i === null || list.length === 0 ? undefined : list[i % list.length];
    const send = async (method: string, path: string, body?: unknown) => {
      const answer = await app.request(method, path, { token: actorUser.token, body, consistent: false });
      if (answer.status >= 500)
        throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer;
    };
    switch (step.kind) {
      case 'setOrgRole':
        await send('PUT', `${base}/members/${users[step.target]!.id}`, { role: step.role });
        return;
      case 'removeOrgMember':
        await send('DELETE', `${base}/members/${users[step.target]!.id}`);
        return;
      case 'settings':
        await send('PATCH', `${base}/settings`, {
          chatSharingDisabled: step.chatSharingDisabled,
          workspaceSharingDisabled: step.workspaceSharingDisabled,
        });
        return;
      case 'createGroup': {
        const answer = await send('POST', `${base}/groups`, { name: `g${world.groups[step.org]!.length}` });
        if (answer.status === 201) world.groups[step.org]!.push(answer.body.group.id);
        return;
      }
      case 'groupMember': {
        const group = pick(world.groups[step.org]!, step.group);
        if (group)
          await send(
            step.add ? 'PUT' : 'DELETE',
            `${base}/groups/${group}/members/${users[step.target]!.id}`,
          );
        return;
      }
      case 'deleteGroup': {
        const group = pick(world.groups[step.org]!, step.group);
        if (group) await send('DELETE', `${base}/groups/${group}`);
        return;
      }
      case 'createWorkspace': {
        const slug = `ws-${world.workspaces[step.org]!.length}`;
        const answer = await send('POST', `${base}/workspaces`, { slug, name: slug });
        if (answer.status === 201) world.workspaces[step.org]!.push(answer.body.workspace.id);
        return;
      }
      case 'workspaceMember': {
        const workspace = pick(world.workspaces[step.org]!, step.workspace);
        if (!workspace) return;
        const path = `${base}/workspaces/${workspace}/members/${users[step.target]!.id}`;
        await (step.role === null ? send('DELETE', path) : send('PUT', path, { role: step.role }));
        return;
      }
      case 'archive': {
        const workspace = pick(world.workspaces[step.org]!, step.workspace);
        if (workspace)
          await send('POST', `${base}/workspaces/${workspace}/${step.archived ? 'archive' : 'unarchive'}`);
        return;
      }
      case 'createChat': {
        const parentChatId = pick(world.chats[step.org]!, step.parent);
        const workspaceId = parentChatId ? undefined : pick(world.workspaces[step.org]!, step.workspace);
        const answer = await send('POST', `${base}/chats`, {
          title: `c${world.chats[step.org]!.length}`,
          ...(workspaceId ? { workspaceId } : {}),
          ...(parentChatId ? { parentChatId } : {}),
        });
        if (answer.status === 201) world.chats[step.org]!.push(answer.body.chat.id);
        return;
      }
      case 'share': {
        const chat = pick(world.chats[step.org]!, step.chat);
        const subject =
          step.subject === 'user' ? users[step.target]!.id : pick(world.groups[step.org]!, step.target);
        if (!chat || !subject) return;
        await send('PATCH', `${base}/chats/${chat}/acl`, {
          [step.subject === 'user' ? 'users' : 'groups']: { [subject]: step.role },
        });
        return;
      }
      case 'deleteChat': {
        const chat = pick(world.chats[step.org]!, step.chat);
        if (chat) await send('DELETE', `${base}/chats/${chat}`);
        return;
      }
    }
  }

  /** libs/authz on the replayed state, for one chat: the oracle's answer for any user (null: no chat). */
  async function oracleFor(orgId: string, chatId: string) {
    const { state: org } = await aggregates.load(organizationDecider, streams.organization(orgId));
    if (org.status !== 'active') return null;
    const { state: chat } = await loader.chat(orgId, chatId);
    if (chat.status === 'absent') return null;
    const facts = await loader.factsFor(orgId, chat);
    return (userId: string): AccessDecision =>
      decideAccess({
        userId,
        org,
        chat,
        root: facts.root as ExistingChat,
        ancestors: facts.ancestors as ExistingChat[],
        workspace: facts.workspace,
        groups: facts.groups,
      });
  }

  async function compare(orgId: string, chatIds: readonly string[]): Promise<void> {
    const { state: org } = await aggregates.load(organizationDecider, streams.organization(orgId));
    const oracles = new Map<string, Awaited<ReturnType<typeof oracleFor>>>();
    for (const chatId of chatIds) oracles.set(chatId, await oracleFor(orgId, chatId));
    // Users are independent: compared side by side.
    await Promise.all(
      users.map(async ({ id: userId, token }) => {
        const oracle = new Map<string, AccessDecision>();
        for (const chatId of chatIds) {
          const decision = oracles.get(chatId)?.(userId) ?? null;
          if (decision?.permissions.includes('read')) oracle.set(chatId, decision);
          const answer = await app.request('GET', `/v1/orgs/${orgId}/chats/${chatId}`, { token });
          const seen =
            answer.status === 200
              ? {
                  status: 200,
                  permissions: answer.body.chat.permissions,
                  writeBlocked: answer.body.chat.writeBlocked,
                }
              : { status: answer.status };
          const want = decision?.permissions.includes('read')
            ? { status: 200, permissions: decision.permissions, writeBlocked: decision.writeBlocked !== null }
            : { status: 404 };
          expect({ userId, chatId, ...seen }).toEqual({ userId, chatId, ...want });
        }
        const member = org.status === 'active' && org.members.get(userId) !== undefined;
        const listed = await listAll(orgId, token);
        if (!member) {
          expect({ userId, list: listed }).toEqual({ userId, list: 404 });
          return;
        }
        const wantList = Object.fromEntries([...oracle].map(([id, decision]) => [id, decision.permissions]));
        expect({ userId, list: listed }).toEqual({ userId, list: wantList });
      }),
    );
  }

  /** Every page of the caller's chat list, three at a time: id → permissions; 404 for a non-member. */
  async function listAll(orgId: string, token: string): Promise<Record<string, string[]> | number> {
    const all: Record<string, string[]> = {};
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const answer = await app.request('GET', `/v1/orgs/${orgId}/chats${query}`, { token });
      if (answer.status !== 200) return answer.status;
      for (const item of answer.body.items) {
        expect(all[item.id]).toBeUndefined(); // never repeated across pages
        all[item.id] = item.permissions;
      }
      expect(answer.body.items.length === 3 || answer.body.nextCursor === null).toBe(true); // never truncated
      cursor = answer.body.nextCursor;
    } while (cursor);
    return all;
  }
});
