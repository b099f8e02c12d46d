import { type ApiAnswer, type E2eApp } from './e2e-app.js';
import { createOrg, type OrgFixture } from './org-fixtures.js';

export interface TestUser {
  readonly id: string;
  readonly token: string;
}

/**
 * One org and its people, and the workspace Alice created in it over HTTP,
 * with the workspace routes as short calls. The cast of
 * libs/domain/workspace/testing: Olga owns the org, Adam administers it,
 * Alice, Bob and Carol are members, Audrey audits; Eve owns another org.
 */
export interface WorkspaceWorld {
  readonly olga: TestUser;
  readonly adam: TestUser;
  readonly alice: TestUser;
  readonly bob: TestUser;
  readonly carol: TestUser;
  readonly audrey: TestUser;
  readonly eve: TestUser;
  readonly org: OrgFixture;
  readonly elsewhere: OrgFixture;
  readonly ws: { readonly id: string; readonly slug: string };
  /** `/v1/orgs/{orgId}/workspaces/{wsId}` */
  readonly base: string;
  setRole(actor: TestUser, userId: string, role: string, base?: string): Promise<ApiAnswer>;
  remove(actor: TestUser, userId: string): Promise<ApiAnswer>;
  archive(actor: TestUser, verb?: 'archive' | 'unarchive'): Promise<ApiAnswer>;
}

export async function workspaceWorld(app: E2eApp): Promise<WorkspaceWorld> {
  const names = ['olga', 'adam', 'alice', 'bob', 'carol', 'audrey', 'eve'] as const;
  const [olga, adam, alice, bob, carol, audrey, eve] = await Promise.all(
    names.map((name) => app.registerUser(name)),
  );
  const org = await createOrg(app, olga!.id, {
    [adam!.id]: 'admin',
    [alice!.id]: 'member',
    [bob!.id]: 'member',
    [carol!.id]: 'member',
    [audrey!.id]: 'auditor',
  });
  const elsewhere = await createOrg(app, eve!.id);
  const created = await app.request('POST', `/v1/orgs/${org.orgId}/workspaces`, {
    token: alice!.token,
    body: { slug: 'design', name: 'Design' },
  });
  if (created.status !== 201) throw new Error(`creating a workspace: ${JSON.stringify(created.body)}`);
  const ws = created.body.workspace as { id: string; slug: string };
  const base = `/v1/orgs/${org.orgId}/workspaces/${ws.id}`;
  return {
    olga: olga!,
    adam: adam!,
    alice: alice!,
    bob: bob!,
    carol: carol!,
    audrey: audrey!,
    eve: eve!,
    org,
    elsewhere,
    ws,
    base,
    setRole: (actor, userId, role, at = base) =>
      app.request('PUT', `${at}/members/${userId}`, { token: actor.token, body: { role } }),
    remove: (actor, userId) => app.request('DELETE', `${base}/members/${userId}`, { token: actor.token }),
    archive: (actor, verb = 'archive') => app.request('POST', `${base}/${verb}`, { token: actor.token }),
  };
}

/** Runs `act` and checks that the log did not grow meanwhile (DESIGN.md: a refused command appends nothing). */
export async function appendsNothing<T>(app: E2eApp, act: () => Promise<T>): Promise<T> {
  const before = (await app.allEvents()).length;
  const result = await act();
  expect((await app.allEvents()).length).toBe(before);
  return result;
}

export const RANDOM_ID = '00000000-0000-4000-8000-000000000000';
