export { WORKSPACE_MEMBERS_TABLE, WORKSPACES_TABLE, workspacesProjection } from './workspaces.projection.js';
export {
  findVisibleWorkspace,
  listVisibleWorkspaces,
  type WorkspaceItem,
  type WorkspaceViewer,
} from './workspaces.queries.js';
