/**
 * Every code a refused command can carry (STYLE.md §12): the stable names
 * clients and tests match on. A code is written nowhere but as one of these
 * literals, so a typo fails to compile, and adding a code is one line here.
 * Renaming one breaks clients: don't.
 *
 * Prefixes name who refused. `INPUT.*` is a rule about one value, checked
 * by the domain whatever the route (slug form, text length, role name);
 * the HTTP edge's own 400s, about the request's shape, are `REQUEST.*`
 * (apps/api/http/problem-codes.ts). Both are 400 with `errors[].field`.
 */
export const DOMAIN_ERROR_CODES = [
  // values (400)
  'INPUT.EMAIL',
  'INPUT.ROLE',
  'INPUT.SLUG',
  'INPUT.TEXT_CHARACTERS',
  'INPUT.TEXT_LENGTH',
  // users and their tokens
  'USER.ALREADY_EXISTS',
  'USER.EMAIL_TAKEN',
  'USER.NOT_FOUND',
  'USER.OPERATOR_ONLY',
  'USER.SUSPENDED',
  'USER.TOKEN_ALREADY_EXISTS',
  'USER.TOKEN_NOT_FOUND',
  // organizations
  'ORG.ALREADY_EXISTS',
  'ORG.FORBIDDEN',
  'ORG.LAST_OWNER',
  'ORG.MEMBER_NOT_FOUND',
  'ORG.NOT_FOUND',
  'ORG.OWNER_ONLY',
  'ORG.SELF_ROLE',
  'ORG.SLUG_TAKEN',
  'ORG.UNKNOWN_USER',
  // groups
  'GROUP.ALREADY_EXISTS',
  'GROUP.FORBIDDEN',
  'GROUP.NOT_FOUND',
  'GROUP.NOT_ORG_MEMBER',
  // workspaces
  'WORKSPACE.ALREADY_EXISTS',
  'WORKSPACE.ARCHIVED',
  'WORKSPACE.FORBIDDEN',
  'WORKSPACE.LAST_OWNER',
  'WORKSPACE.MEMBER_NOT_FOUND',
  'WORKSPACE.NOT_FOUND',
  'WORKSPACE.NOT_ORG_MEMBER',
  'WORKSPACE.OWNER_ONLY',
  'WORKSPACE.SELF_ROLE',
  'WORKSPACE.SHARING_DISABLED',
  'WORKSPACE.SLUG_TAKEN',
  // chats
  'CHAT.ALREADY_EXISTS',
  'CHAT.FORBIDDEN',
  'CHAT.NOT_FOUND',
  'CHAT.OWN_ENTRY',
  'CHAT.SHARING_DISABLED',
  'CHAT.SUBCHAT_ACL',
  'CHAT.SUBCHAT_WORKSPACE',
  'CHAT.UNKNOWN_PARENT',
  'CHAT.UNKNOWN_SUBJECT',
  'CHAT.UNKNOWN_WORKSPACE',
  /**
   * A reservation stream's: the handler that claimed the slug turns it into
   * its aggregate's own code (`ORG.SLUG_TAKEN`, …), so clients never see it.
   */
  'SLUG.TAKEN',
  // the command runtime: a stream kept changing under every retry (409)
  'COMMAND.CONCURRENT_MODIFICATION',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];
