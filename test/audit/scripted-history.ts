import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiAnswer, type E2eApp } from '../e2e/support/e2e-app.js';

export interface Person {
  readonly id: string;
  readonly token: string;
}

/** One step of the script: its label, the position its command answered, and the event's time. */
export interface Step {
  readonly label: string;
  readonly position: string;
  readonly occurredAt: string;
}

/**
 * The scripted history of the audit issue, over HTTP, so every step's
 * position is the consistency token its command answered:
 *
 * - setup: Olga creates the org; Adam admin, Audrey auditor, Alice, Bob,
 *   Carol and Mia members; Alice creates workspace W and chat C in it; Olga
 *   creates group G with Carol.
 * - t1 Alice shares C with Bob (viewer); t2 Alice shares C with G (editor);
 *   t3 Olga switches chat sharing off, t4 on again; t5 Adam removes Bob from
 *   the org; t6 Alice archives W;
 * - t6u Alice unarchives W: a sub-chat in an archived workspace is refused
 *   (410, DESIGN.md §5), so the script unarchives before t7;
 * - t7 Carol creates sub-chat S under C; t8 Olga removes Carol from G;
 *   t9 Alice deletes S.
 */
export interface ScriptedHistory {
  readonly olga: Person;
  readonly adam: Person;
  readonly audrey: Person;
  readonly alice: Person;
  readonly bob: Person;
  readonly carol: Person;
  readonly mia: Person;
  readonly outsider: Person;
  readonly orgId: string;
  readonly slug: string;
  readonly workspaceId: string;
  readonly groupId: string;
  readonly chatId: string;
  readonly subChatId: string;
  /** The position just before C was created. */
  readonly beforeChat: string;
  /** `created` (C's ChatCreated), then t1 … t9 in order. */
  readonly steps: readonly Step[];
  step(label: string): Step;
}

export async function scriptHistory(app: E2eApp): Promise<ScriptedHistory> {
  const [olga, adam, audrey, alice, bob, carol, mia, outsider] = (await Promise.all(
    ['Olga', 'Adam', 'Audrey', 'Alice', 'Bob', 'Carol', 'Mia', 'Outsider'].map((n) => app.registerUser(n)),
  )) as [Person, Person, Person, Person, Person, Person, Person, Person];
  const call = async (who: Person, method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const answer = await app.request(method, path, {
      token: who.token,
      ...(body === undefined ? {} : { body }),
    });
    if (answer.status >= 300)
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer;
  };
  const slug = `audit-${Date.now()}`;
  const org = await call(olga, 'POST', '/v1/orgs', { slug, name: 'Audited' });
  const orgId: string = org.body.org.id;
  const o = `/v1/orgs/${orgId}`;
  for (const [who, role] of [
    [adam, 'admin'],
    [audrey, 'auditor'],
    [alice, 'member'],
    [bob, 'member'],
    [carol, 'member'],
    [mia, 'member'],
  ] as const) {
    await call(olga, 'PUT', `${o}/members/${who.id}`, { role });
  }
  const ws = await call(alice, 'POST', `${o}/workspaces`, { slug: 'w-audited', name: 'W' });
  const workspaceId: string = ws.body.workspace.id;
  const group = await call(olga, 'POST', `${o}/groups`, { name: 'G' });
  const groupId: string = group.body.group.id;
  const beforeChat = (await call(olga, 'PUT', `${o}/groups/${groupId}/members/${carol.id}`)).headers.get(
    'x-consistency-token',
  )!;

  const positions: Array<{ label: string; position: string }> = [];
  const at = async (label: string, answer: Promise<ApiAnswer>) => {
    const done = await answer;
    positions.push({ label, position: done.headers.get('x-consistency-token')! });
    await sleep(3); // distinct occurredAt milliseconds, so instants by time are unambiguous too
    return done;
  };
  const chat = await at('created', call(alice, 'POST', `${o}/chats`, { title: 'C', workspaceId }));
  const chatId: string = chat.body.chat.id;
  const acl = `${o}/chats/${chatId}/acl`;
  await at('t1', call(alice, 'PATCH', acl, { users: { [bob.id]: 'viewer' } }));
  await at('t2', call(alice, 'PATCH', acl, { groups: { [groupId]: 'editor' } }));
  await at('t3', call(olga, 'PATCH', `${o}/settings`, { chatSharingDisabled: true }));
  await at('t4', call(olga, 'PATCH', `${o}/settings`, { chatSharingDisabled: false }));
  await at('t5', call(adam, 'DELETE', `${o}/members/${bob.id}`));
  await at('t6', call(alice, 'POST', `${o}/workspaces/${workspaceId}/archive`));
  await at('t6u', call(alice, 'POST', `${o}/workspaces/${workspaceId}/unarchive`));
  const sub = await at('t7', call(carol, 'POST', `${o}/chats`, { title: 'S', parentChatId: chatId }));
  const subChatId: string = sub.body.chat.id;
  await at('t8', call(olga, 'DELETE', `${o}/groups/${groupId}/members/${carol.id}`));
  await at('t9', call(alice, 'DELETE', `${o}/chats/${subChatId}`));

  const byPosition = new Map((await app.allEvents()).map((e) => [e.position as string, e]));
  const steps = positions.map(({ label, position }) => {
    const event = byPosition.get(position);
    if (!event) throw new Error(`no event at ${position} (${label})`);
    return { label, position, occurredAt: event.metadata.occurredAt };
  });
  return {
    olga,
    adam,
    audrey,
    alice,
    bob,
    carol,
    mia,
    outsider,
    orgId,
    slug,
    workspaceId,
    groupId,
    chatId,
    subChatId,
    beforeChat,
    steps,
    step: (label) => steps.find((s) => s.label === label)!,
  };
}
