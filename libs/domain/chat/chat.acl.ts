import { type AclRole } from '../../authz/policy.js';
import { refuse } from '../kernel/index.js';
import { assertPermitted, visibleChat } from './chat.authorize.js';
import { type AclChange, type ChangeChatAcl } from './chat.commands.js';
import { ACL_CHANGE_RULE, isAclChange } from './chat.input.js';
import { type ChatEvent, type ChatSubject } from './chat.events.js';
import { type ActiveChat, type ChatState, isRootChat, subjectKey } from './chat.state.js';

interface Change {
  readonly subject: ChatSubject;
  readonly field: string;
  readonly role: AclRole | null;
  readonly previousRole: AclRole | null;
}

/**
 * PATCH …/acl (DESIGN.md §5 Chat). Checks, in order: 404 → 400 sub-chat
 * (naming the root, to callers who can read it) → 400 bad role → 410
 * archived → 403 no `share` → 403 sharing disabled → 400 unknown subjects
 * (all listed) → 400 own entry → the changes.
 *
 * Decisions on points DESIGN.md leaves open:
 * - Permission is checked before an empty change is found to be empty, so
 *   only those who may share learn "nothing to do".
 * - `chatSharingDisabled` refuses every change, removals included: the
 *   entries stay stored and inert, and count again once it is switched off.
 * - Targets must be org members / active groups of the org, except that an
 *   EXISTING entry may always be removed: an entry for someone who left the
 *   org, or for a deleted group, must be removable, or it would silently
 *   grant again when the user rejoins. Removing an absent entry for an
 *   unknown subject is still refused (400), so typos do not pass silently.
 * - "Nobody changes their own entry" refuses only a real change: repeating
 *   one's current role (or removing an entry one does not have) is no change
 *   and is skipped, so a client may send back the ACL it read.
 * - One event per actual change, users before groups, each by id (code unit
 *   order, independent of locale), so a retry appends the same events.
 */
export function changeChatAcl(command: ChangeChatAcl, state: ChatState): ChatEvent[] {
  const { chat, decision } = visibleChat(command, state);
  if (!isRootChat(chat)) {
    const message = `chat ${chat.chatId} has no ACL of its own: it inherits the ACL of its root chat ${chat.rootChatId}`;
    throw refuse.invalid('CHAT.SUBCHAT_ACL', message, [{ field: 'chatId', message }]);
  }
  const changes = [
    ...changesFor('user', command.change.users, chat),
    ...changesFor('group', command.change.groups, chat),
  ];
  assertPermitted(decision, 'share');
  if (command.org.settings.chatSharingDisabled) {
    throw refuse.forbidden('CHAT.SHARING_DISABLED', 'chat sharing is disabled in this organization');
  }
  const effective = changes.filter((change) => change.role !== change.previousRole);
  const unknown = changes.filter((change) => !removesAnEntry(change) && !isKnown(change.subject, command));
  if (unknown.length > 0) {
    const fields = unknown.map(({ subject, field }) => ({
      field,
      message: `${subject.kind} ${subject.id} is not ${subject.kind === 'user' ? 'a member' : 'a group'} of the organization`,
    }));
    throw refuse.invalid('CHAT.UNKNOWN_SUBJECT', 'some users or groups are not in the organization', fields);
  }
  const own = effective.find((c) => c.subject.kind === 'user' && c.subject.id === command.actorId);
  if (own) {
    const message = 'nobody changes their own entry';
    throw refuse.invalid('CHAT.OWN_ENTRY', message, [{ field: own.field, message }]);
  }
  const ids = { orgId: chat.orgId, chatId: chat.chatId };
  return effective.map(({ subject, role, previousRole }): ChatEvent =>
    role === null
      ? { type: 'ChatUnshared', data: { ...ids, subject, previousRole: previousRole! } }
      : { type: 'ChatShared', data: { ...ids, subject, role, previousRole } },
  );
}

/** The requested changes of one kind, by id; a role that is neither an ACL role nor "" is a 400. */
function changesFor(
  kind: ChatSubject['kind'],
  requested: Readonly<Record<string, AclChange>>,
  chat: ActiveChat,
): Change[] {
  const prefix = kind === 'user' ? 'users' : 'groups';
  const entries = Object.entries(requested).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const bad = entries.filter(([, role]) => !isAclChange(role));
  if (bad.length > 0) {
    throw refuse.invalid(
      'INPUT.ROLE',
      `roles ${ACL_CHANGE_RULE}`,
      bad.map(([id]) => ({ field: `${prefix}.${id}`, message: ACL_CHANGE_RULE })),
    );
  }
  return entries.map(([id, role]) => {
    const subject = { kind, id };
    return {
      subject,
      field: `${prefix}.${id}`,
      role: role === '' ? null : (role as AclRole),
      previousRole: chat.acl.get(subjectKey(subject))?.role ?? null,
    };
  });
}

function isKnown(subject: ChatSubject, { org, groups }: ChangeChatAcl): boolean {
  if (subject.kind === 'user') return org.members.get(subject.id) !== undefined;
  const group = groups[subject.id];
  return group?.status === 'active' && group.orgId === org.orgId && group.groupId === subject.id;
}

/** Removing an existing entry needs no live target: see {@link changeChatAcl}. */
function removesAnEntry(change: Change): boolean {
  return change.role === null && change.previousRole !== null;
}
