import { type OrgRole, type WorkspaceRole } from '../../../authz/policy.js';
import { eventRefFor } from '../../../event-store/testing/event-refs.js';
import { PersistentMap, PersistentSet } from '../../kernel/index.js';
import { type ActiveOrganization } from '../../organization/organization.state.js';
import { type WorkspaceCommand } from '../workspace.commands.js';
import { type WorkspaceEvent } from '../workspace.events.js';

/**
 * Test support (imported by tests only): one org, its people, the workspace
 * Alice created in it, and the commands on it. The Chat decider's tests can
 * reuse the org and the workspace events.
 */
export const orgId = '0b7d2c6e-1d1f-4d4e-9a49-0d8f3c2a1b10';
export const otherOrgId = '9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b';
export const workspaceId = '3f2e1d0c-0000-4000-8000-0000000000ff';
export const olga = '0194a000-0000-4000-8000-000000000001'; // org owner
export const adam = 'adaa0000-0000-4000-8000-000000000002'; // org admin
export const alice = 'a11ce000-0000-4000-8000-000000000003'; // org member, creates the workspace
export const bob = 'b0b00000-0000-4000-8000-000000000004'; // org member
export const carol = 'ca201000-0000-4000-8000-000000000005'; // org member
export const audrey = 'a0d00000-0000-4000-8000-000000000006'; // org auditor
export const stranger = '5ca10000-0000-4000-8000-000000000007'; // in no org

const orgRoles: Record<string, OrgRole> = {
  [olga]: 'owner',
  [adam]: 'admin',
  [alice]: 'member',
  [bob]: 'member',
  [carol]: 'member',
  [audrey]: 'auditor',
};

/** The org as its handler would load it; `changes` overrides roles (`null` removes the member). */
/** Org memberships come from the org's stream: a made-up log of its own, so their refs differ from the workspace's. */
const ORG_LOG = 9;

export function orgWith(
  changes: Record<string, OrgRole | null> = {},
  { workspaceSharingDisabled = false, id = orgId } = {},
): ActiveOrganization {
  const roles = Object.entries({ ...orgRoles, ...changes }).filter(
    (entry): entry is [string, OrgRole] => entry[1] !== null,
  );
  return {
    status: 'active',
    orgId: id,
    slug: 'acme',
    name: 'Acme',
    members: PersistentMap(
      roles.map(([userId, role], i) => [userId, { role, since: eventRefFor(i + 1, ORG_LOG) }]),
    ),
    owners: PersistentSet(roles.flatMap(([userId, role]) => (role === 'owner' ? [userId] : []))),
    admins: PersistentSet(roles.flatMap(([userId, role]) => (role === 'admin' ? [userId] : []))),
    settings: { chatSharingDisabled: false, workspaceSharingDisabled },
    settingsChangedBy: null,
  };
}
export const org = orgWith();
export const sharingOff = orgWith({}, { workspaceSharingDisabled: true });

export const created: WorkspaceEvent[] = [
  {
    type: 'WorkspaceCreated',
    data: { orgId, workspaceId, slug: 'design', name: 'Design', createdBy: alice },
  },
  { type: 'WorkspaceMemberAdded', data: { orgId, workspaceId, userId: alice, role: 'owner' } },
];
export const member = (userId: string, role: WorkspaceRole): WorkspaceEvent => ({
  type: 'WorkspaceMemberAdded',
  data: { orgId, workspaceId, userId, role },
});
export const changed = (
  userId: string,
  role: WorkspaceRole,
  previousRole: WorkspaceRole,
): WorkspaceEvent => ({
  type: 'MemberRoleChanged',
  data: { scope: 'workspace', orgId, workspaceId, userId, role, previousRole },
});
export const removed = (userId: string, previousRole: WorkspaceRole): WorkspaceEvent => ({
  type: 'WorkspaceMemberRemoved',
  data: { orgId, workspaceId, userId, previousRole },
});
export const archived: WorkspaceEvent = { type: 'WorkspaceArchived', data: { orgId, workspaceId } };
export const unarchived: WorkspaceEvent = { type: 'WorkspaceUnarchived', data: { orgId, workspaceId } };

export const create = (actorId: string, inOrg = org, slug = 'design', name = 'Design'): WorkspaceCommand => ({
  type: 'CreateWorkspace',
  actorId,
  org: inOrg,
  workspaceId,
  slug,
  name,
});
export const setRole = (
  actorId: string,
  userId: string,
  role: WorkspaceRole,
  inOrg = org,
): WorkspaceCommand => ({
  type: 'SetWorkspaceMemberRole',
  actorId,
  org: inOrg,
  userId,
  role,
});
export const remove = (actorId: string, userId: string, inOrg = org): WorkspaceCommand => ({
  type: 'RemoveWorkspaceMember',
  actorId,
  org: inOrg,
  userId,
});
export const archive = (actorId: string, inOrg = org): WorkspaceCommand => ({
  type: 'ArchiveWorkspace',
  actorId,
  org: inOrg,
});
export const unarchive = (actorId: string, inOrg = org): WorkspaceCommand => ({
  type: 'UnarchiveWorkspace',
  actorId,
  org: inOrg,
});
