import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { streams } from '../../libs/domain/streams.js';
import { startProjectionHarness, type ProjectionHarness } from '../../test/support/projection-harness.js';
import { allPages } from '../testing/all-pages.js';
import { usersProjection } from './users.projection.js';
import { findTokenByHash, getUser, listActiveTokens } from './users.queries.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let harness: ProjectionHarness;

beforeAll(async () => {
  harness = await startProjectionHarness([usersProjection]);
});

afterAll(async () => {
  await harness?.close();
});

async function register(displayName: string): Promise<string> {
  const userId = randomUUID();
  await harness.append(streams.user(userId), [
    { type: 'UserRegistered', data: { userId, email: `${userId}@example.com`, displayName } },
  ]);
  return userId;
}

async function issue(userId: string, name: string): Promise<{ tokenId: string; hash: string }> {
  const tokenId = randomUUID();
  const hash = sha256(`${tokenId}-secret`);
  await harness.append(streams.user(userId), [
    { type: 'ApiTokenIssued', data: { userId, tokenId, name, hash, prefix: hash.slice(0, 8) } },
  ]);
  return { tokenId, hash };
}

describe('users projection', () => {
  it('projects a registered user, readable with no tenant and no user set', async () => {
    const userId = await register('Ada');
    await harness.project();

    const user = await harness.read({}, (client) => getUser(client, userId));
    expect(user).toEqual({
      id: userId,
      email: `${userId}@example.com`,
      displayName: 'Ada',
      status: 'active',
      registeredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await harness.read({}, (client) => getUser(client, randomUUID()))).toBeNull();
  });

  it('follows suspension and reactivation, and token lookups carry the user status', async () => {
    const userId = await register('Ben');
    const { tokenId, hash } = await issue(userId, 'cli');
    await harness.project();
    const lookup = () => harness.read({}, (client) => findTokenByHash(client, hash));
    expect(await lookup()).toEqual({ tokenId, userId, userStatus: 'active', revoked: false });

    await harness.append(streams.user(userId), [{ type: 'UserSuspended', data: { userId } }]);
    await harness.project();
    expect(await lookup()).toEqual({ tokenId, userId, userStatus: 'suspended', revoked: false });
    expect((await harness.read({}, (client) => getUser(client, userId)))?.status).toBe('suspended');

    await harness.append(streams.user(userId), [{ type: 'UserReactivated', data: { userId } }]);
    await harness.project();
    expect(await lookup()).toEqual({ tokenId, userId, userStatus: 'active', revoked: false });
  });

  it('marks a revoked token revoked and leaves it out of the list', async () => {
    const userId = await register('Cy');
    const kept = await issue(userId, 'kept');
    const revoked = await issue(userId, 'revoked');
    await harness.append(streams.user(userId), [
      { type: 'ApiTokenRevoked', data: { userId, tokenId: revoked.tokenId } },
    ]);
    await harness.project();

    expect(await harness.read({}, (client) => findTokenByHash(client, revoked.hash))).toMatchObject({
      tokenId: revoked.tokenId,
      revoked: true,
    });
    const page = await harness.read({ userId }, (client) =>
      listActiveTokens(client, userId, { limit: 10, after: null }),
    );
    expect(page).toEqual({
      items: [
        { id: kept.tokenId, name: 'kept', prefix: kept.hash.slice(0, 8), issuedAt: expect.any(String) },
      ],
      next: null,
    });
    expect(JSON.stringify(page)).not.toContain(kept.hash);
  });

  it('knows no token for an unknown hash', async () => {
    expect(await harness.read({}, (client) => findTokenByHash(client, sha256('nobody')))).toBeNull();
  });

  it('pages through active tokens in issue order, never skipping or repeating one', async () => {
    const userId = await register('Dee');
    const other = await register('Eve');
    await issue(other, 'not mine');
    const issued: string[] = [];
    for (let i = 0; i < 7; i++) issued.push((await issue(userId, `token ${i}`)).tokenId);
    await harness.append(streams.user(userId), [
      { type: 'ApiTokenRevoked', data: { userId, tokenId: issued[3]! } },
    ]);
    await harness.project();

    const pages = await allPages(2, (page) =>
      harness.read({ userId }, (client) => listActiveTokens(client, userId, page)),
    );
    expect(pages.map((items) => items.length)).toEqual([2, 2, 2]);
    expect(pages.flat().map((token) => token.id)).toEqual(issued.filter((_, i) => i !== 3));
  });

  it('ignores the events of other streams', async () => {
    const orgId = randomUUID();
    await harness.append(
      streams.organization(orgId),
      [{ type: 'OrganizationCreated', data: { orgId, slug: 'ignored', name: 'x', createdBy: randomUUID() } }],
      orgId,
    );
    await expect(harness.project()).resolves.toBeUndefined();
  });
});
