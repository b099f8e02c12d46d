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
 * consistency token waits for them all.
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
