import { AccessFactsError } from './access-facts.js';
import { evaluateChatAccess } from './evaluate.js';
import { ACL_ROLES, ORG_ROLES, PERMISSIONS, WORKSPACE_ROLES } from './policy.js';
import { askAboutSubChat, EVENTS, given, ownsRoot } from './testing/chat-access-facts.builders.js';
import {
  ACCESS_CASES,
  ACL_ROLE_CASES,
  ORG_ROLE_CASES,
  WORKSPACE_ROLE_CASES,
} from './testing/chat-access.cases.js';

describe('evaluateChatAccess (DESIGN.md §5 Effective access)', () => {
  describe.each(Object.entries(ACCESS_CASES))('%s', (_, rows) => {
    it.each(rows.map((row) => [row.name, row] as const))('%s', (_name, row) => {
      const decision = evaluateChatAccess(given(...row.given));

      expect(decision.permissions).toEqual(row.permissions);
      expect(decision.reasons).toEqual(row.reasons);
      expect(decision.writeBlocked).toEqual(
        row.writeBlocked ? { kind: 'workspaceArchived', event: EVENTS.archived } : null,
      );
    });
  });

  it('refuses facts whose chat belongs to another root, rather than decide from the wrong ACL', () => {
    const facts = given(ownsRoot, askAboutSubChat());
    const misloaded = { ...facts, chat: { ...facts.chat, rootId: 'chat-elsewhere' } };
    let error: unknown;
    try {
      evaluateChatAccess(misloaded);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AccessFactsError);
    expect(error).toMatchObject({ code: 'AUTHZ.INCONSISTENT_FACTS' });
  });
});

/** STYLE.md point 8: adding a role or a permission to policy.ts fails here until it has rows. */
describe('the tables cover the whole policy', () => {
  const allRows = Object.values(ACCESS_CASES).flat();

  it.each([
    ['org role', ORG_ROLE_CASES, ORG_ROLES],
    ['ACL role', ACL_ROLE_CASES, ACL_ROLES],
    ['workspace role', WORKSPACE_ROLE_CASES, WORKSPACE_ROLES],
  ] as const)('every %s has a case', (_, cases, roles) => {
    expect(cases.map((c) => c.role).sort()).toEqual([...roles].sort());
  });

  it.each(PERMISSIONS.map((p) => [p]))('%s is both granted and withheld by some row', (permission) => {
    expect(allRows.some((row) => row.permissions.includes(permission))).toBe(true);
    expect(allRows.some((row) => !row.permissions.includes(permission))).toBe(true);
  });
});
