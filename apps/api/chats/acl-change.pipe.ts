import { Injectable, type PipeTransform } from '@nestjs/common';
import { type AclChange, type ChangeChatAcl } from '../../../libs/domain/chat/chat.commands.js';
import { ACL_CHANGE_RULE, isAclChange } from '../../../libs/domain/chat/chat.input.js';
import { type FieldProblem, isUuid } from '../../../libs/domain/kernel/index.js';
import { ProblemError } from '../http/problem-details.js';
import { type ChangeChatAclDto } from './chats.dto.js';

/**
 * Entries one ACL change may name, per map. Each named group is one more
 * stream the handler loads, so the request's cost is bounded here; a client
 * sharing with more sends several requests.
 */
export const ACL_CHANGE_MAX_ENTRIES = 100;

export type AclChangeRequest = ChangeChatAcl['change'];

/**
 * The entries of PATCH …/acl, after the DTO has checked the body's shape
 * (unknown fields, maps that are objects): every key a UUID, every value
 * "viewer", "editor" or "". Each offending entry is named as `users.<key>`
 * or `groups.<key>`, all of them at once, as class-validator would name a
 * field. Keys are lowercased like UUID path parameters; two keys that are
 * the same id in another case are refused, since only one could win.
 *
 * Whether a target is in the org, and the own-entry rule, need the org's
 * state: the decider answers them (libs/domain/chat/chat.acl.ts).
 */
@Injectable()
export class AclChangePipe implements PipeTransform<ChangeChatAclDto, AclChangeRequest> {
  transform(body: ChangeChatAclDto): AclChangeRequest {
    const problems: FieldProblem[] = [];
    const users = entriesOf('users', body.users, problems);
    const groups = entriesOf('groups', body.groups, problems);
    if (problems.length > 0) {
      throw ProblemError.of(400, 'REQUEST.INVALID', 'the request has invalid fields', problems);
    }
    return { users, groups };
  }
}

function entriesOf(
  field: 'users' | 'groups',
  requested: Readonly<Record<string, unknown>> | undefined,
  problems: FieldProblem[],
): Record<string, AclChange> {
  const entries = Object.entries(requested ?? {});
  if (entries.length > ACL_CHANGE_MAX_ENTRIES) {
    problems.push({ field, message: `must name at most ${ACL_CHANGE_MAX_ENTRIES} entries` });
    return {};
  }
  const change: Record<string, AclChange> = {};
  for (const [key, role] of entries) {
    const at = `${field}.${key}`;
    const id = key.toLowerCase();
    if (!isUuid(key))
      problems.push({ field: at, message: `must be keyed by ${field.slice(0, -1)} id (UUID)` });
    else if (!isAclChange(role)) problems.push({ field: at, message: ACL_CHANGE_RULE });
    else if (id in change) problems.push({ field: at, message: `names ${id} twice` });
    else change[id] = role;
  }
  return change;
}
