import { type WorkspaceRole } from '../../authz/policy.js';
import { type EventRef, type PersistentMap, type PersistentSet } from '../kernel/index.js';

export interface WorkspaceMember {
  readonly role: WorkspaceRole;
  /** The event that gave the member their current role. */
  readonly since: EventRef;
}

export type WorkspaceState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'active';
      readonly orgId: string;
      readonly workspaceId: string;
      readonly slug: string;
      readonly name: string;
      /**
       * Memberships as recorded. Whether one counts right now also depends on
       * the organization (see workspace.access.ts): a member who left the org,
       * or a non-owner while `workspaceSharingDisabled` is on, keeps the entry
       * here but gets nothing from it.
       */
      readonly members: PersistentMap<string, WorkspaceMember>;
      /** The ids of the members whose recorded role is `owner`: the last-owner rule looks only at them. */
      readonly owners: PersistentSet<string>;
      readonly archived: boolean;
      /** The `WorkspaceArchived` event while archived (its time is the API's `archivedAt`); null otherwise. */
      readonly archivedBy: EventRef | null;
    };

export type ActiveWorkspace = Extract<WorkspaceState, { status: 'active' }>;
