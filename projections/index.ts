import { type Projection } from '../libs/projection-runtime/projection.js';
import { aclHistoryProjection } from './acl-history/index.js';
import { chatAccessProjection } from './chat-access/index.js';
import { chatsProjection } from './chats/index.js';
import { groupsProjection } from './groups/index.js';
import { messagesProjection } from './messages/index.js';
import { organizationsProjection } from './organizations/index.js';
import { usersProjection } from './users/index.js';
import { workspacesProjection } from './workspaces/index.js';

/**
 * Every read model the API reads, each its own projection with its own
 * checkpoint (projections/README.md). The projector runs them all; a
 * consistency token waits for those its route reads: all of them on the
 * audit routes, all but {@link AUDIT_ONLY_PROJECTIONS} elsewhere.
 */
export const PROJECTIONS: readonly Projection[] = [
  usersProjection,
  organizationsProjection,
  groupsProjection,
  workspacesProjection,
  chatsProjection,
  messagesProjection,
  chatAccessProjection,
  aclHistoryProjection,
];

/** Read by the audit routes (apps/api/audit) and nothing else: the ACL history. */
export const AUDIT_ONLY_PROJECTIONS: readonly Projection[] = [aclHistoryProjection];
