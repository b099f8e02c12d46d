import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ORG_ROLES, type OrgRole, WORKSPACE_ROLES, type WorkspaceRole } from '../../libs/authz/policy.js';
import { type EventRef, fold, type Recorded } from '../../libs/domain/kernel/index.js';
import { eventRefFor } from '../../libs/event-store/testing/event-refs.js';
import { organizationDecider } from '../../libs/domain/organization/organization.decider.js';
import { type OrganizationEvent } from '../../libs/domain/organization/organization.events.js';
import { type ActiveOrganization, isOrgManager } from '../../libs/domain/organization/organization.state.js';
import { streams } from '../../libs/domain/streams.js';
import { canSeeWorkspace, countedWorkspaceRole } from '../../libs/domain/workspace/workspace.access.js';
import { workspaceDecider } from '../../libs/domain/workspace/workspace.decider.js';
import { type WorkspaceEvent } from '../../libs/domain/workspace/workspace.events.js';
import { type ActiveWorkspace } from '../../libs/domain/workspace/workspace.state.js';
import { startProjectionHarness, type ProjectionHarness } from '../../test/support/projection-harness.js';
import { workspacesProjection } from './workspaces.projection.js';
import { findVisibleWorkspace, listVisibleWorkspaces } from './workspaces.queries.js';

/**
 * Workspace visibility exists twice: in the domain (workspace.access.ts,
 * used by commands) and in SQL (workspaces.queries.ts, used by lists). This
 * test holds them to the same answer for every org role × workspace role
 * (or none) × `workspaceSharingDisabled`, taken from the policy's own lists,
 * so a role added there gets a case here without anyone writing it.
 */
const ref = eventRefFor(1);
const recorded = <E extends { type: string; data: object }>(events: E[]): Array<E & { ref: EventRef }> =>
  events.map((event) => ({ ...event, ref }));

const orgId = randomUUID();
const workspaceId = randomUUID();
const creator = randomUUID();
const cases: Array<{ userId: string; orgRole: OrgRole; workspaceRole: WorkspaceRole | null }> =
  ORG_ROLES.flatMap((orgRole) =>
    [...WORKSPACE_ROLES, null].map((workspaceRole) => ({ userId: randomUUID(), orgRole, workspaceRole })),
  );

const orgEvents: OrganizationEvent[] = [
  {
    type: 'OrganizationCreated',
    data: { orgId, slug: 'visibility', name: 'Visibility', createdBy: creator },
  },
  { type: 'OrgMemberAdded', data: { orgId, userId: creator, role: 'owner' } },
  ...cases.map(({ userId, orgRole }): OrganizationEvent => ({
    type: 'OrgMemberAdded',
    data: { orgId, userId, role: orgRole },
  })),
];
const workspaceEvents: WorkspaceEvent[] = [
  {
    type: 'WorkspaceCreated',
    data: { orgId, workspaceId, slug: 'the-workspace', name: 'W', createdBy: creator },
  },
  { type: 'WorkspaceMemberAdded', data: { orgId, workspaceId, userId: creator, role: 'owner' } },
  ...cases.flatMap(({ userId, workspaceRole }): WorkspaceEvent[] =>
    workspaceRole === null
      ? []
      : [{ type: 'WorkspaceMemberAdded', data: { orgId, workspaceId, userId, role: workspaceRole } }],
  ),
];

let harness: ProjectionHarness;

beforeAll(async () => {
  harness = await startProjectionHarness([workspacesProjection]);
  await harness.append(streams.workspace(orgId, workspaceId), workspaceEvents, orgId);
  await harness.project();
});

afterAll(async () => {
  await harness?.close();
});

describe('workspace visibility in SQL agrees with libs/domain workspace.access', () => {
  for (const workspaceSharingDisabled of [false, true]) {
    it(`for every org role and workspace role, with workspaceSharingDisabled ${workspaceSharingDisabled}`, async () => {
      const active = fold(organizationDecider, recorded(orgEvents) as Recorded<OrganizationEvent>[]);
      const org = {
        ...(active as ActiveOrganization),
        settings: { chatSharingDisabled: false, workspaceSharingDisabled },
      };
      const workspace = fold(
        workspaceDecider,
        recorded(workspaceEvents) as Recorded<WorkspaceEvent>[],
      ) as ActiveWorkspace;

      const answers = await harness.read({ orgId }, async (client) =>
        Promise.all(
          cases.map(async ({ userId, orgRole, workspaceRole }) => {
            const viewer = { orgId, userId, seesAll: isOrgManager(orgRole), workspaceSharingDisabled };
            const listed = await listVisibleWorkspaces(client, {
              ...viewer,
              includeArchived: true,
              page: { limit: 10, after: null },
            });
            const found = await findVisibleWorkspace(client, { ...viewer, idOrSlug: workspaceId });
            return {
              orgRole,
              workspaceRole,
              sql: { listed: listed.items, found },
              domain: {
                visible: canSeeWorkspace(workspace, org, userId),
                role: countedWorkspaceRole(workspace, org, userId),
              },
            };
          }),
        ),
      );

      for (const { orgRole, workspaceRole, sql, domain } of answers) {
        const label = `org ${orgRole}, workspace ${workspaceRole ?? 'none'}`;
        expect({ label, listed: sql.listed.length === 1, found: sql.found !== null }).toEqual({
          label,
          listed: domain.visible,
          found: domain.visible,
        });
        if (sql.found) expect({ label, role: sql.found.role }).toEqual({ label, role: domain.role });
      }
      // Both answers occur: the comparison is not vacuous.
      expect(new Set(answers.map((answer) => answer.domain.visible))).toEqual(new Set([true, false]));
    });
  }
});
