import { ACL_ROLES } from '../../authz/policy.js';
import { type AclChange } from './chat.commands.js';

/**
 * Rules on a chat command's input that the HTTP layer also checks, to refuse
 * a bad body before any stream is loaded. Written once here: the decider
 * applies them, and the DTO validation and ACL pipe import them (400 naming
 * the field, with the same message either way).
 */

/**
 * A message body has 1 to 16 000 characters (DESIGN.md §10), counted as
 * Unicode code points (what JavaScript's string iterator yields and Postgres
 * `char_length` counts), so an emoji is one character whatever its UTF-16
 * length. A body of white space only counts as empty, as titles do.
 */
export const CHAT_MESSAGE_MAX = 16_000;
export const MESSAGE_BODY_RULE = `must have 1 to ${CHAT_MESSAGE_MAX} characters`;

export function isMessageBody(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && [...value].length <= CHAT_MESSAGE_MAX;
}

/** The values of an ACL change: an ACL role to give, or "" to remove the entry. */
export const ACL_CHANGES: readonly AclChange[] = [...ACL_ROLES, ''];
export const ACL_CHANGE_RULE = `must be ${ACL_ROLES.map((role) => `"${role}"`).join(', ')}, or "" to remove`;

export function isAclChange(value: unknown): value is AclChange {
  return typeof value === 'string' && (ACL_CHANGES as readonly string[]).includes(value);
}
