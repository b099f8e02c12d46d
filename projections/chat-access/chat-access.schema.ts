import { READ_MODEL_SCHEMA, tenantTableSql } from '../../libs/persistence/tenancy.js';

/**
 * The tables of the `chat-access` projection. `chat_access` is what queries
 * read; the `access_*` tables are the projection's own copy of the facts
 * libs/authz needs, so it is consistent at its own checkpoint and can be
 * rebuilt alone, whatever the other read models' checkpoints are.
 *
 * An event behind a fact is kept as three text columns (`*_event_id`,
 * `*_position`, `*_occurred_at`): libs/authz's EventRef, stored exactly as
 * the log gave it. Positions are `COLLATE "C"`: they sort as plain strings.
 */
export const CHAT_ACCESS_TABLE = `${READ_MODEL_SCHEMA}.chat_access`;
export const ACCESS_ORG_SETTINGS_TABLE = `${READ_MODEL_SCHEMA}.access_org_settings`;
export const ACCESS_ORG_MEMBERS_TABLE = `${READ_MODEL_SCHEMA}.access_org_members`;
export const ACCESS_GROUPS_TABLE = `${READ_MODEL_SCHEMA}.access_groups`;
export const ACCESS_GROUP_MEMBERS_TABLE = `${READ_MODEL_SCHEMA}.access_group_members`;
export const ACCESS_WORKSPACES_TABLE = `${READ_MODEL_SCHEMA}.access_workspaces`;
export const ACCESS_WORKSPACE_MEMBERS_TABLE = `${READ_MODEL_SCHEMA}.access_workspace_members`;
export const ACCESS_CHATS_TABLE = `${READ_MODEL_SCHEMA}.access_chats`;
export const ACCESS_ACL_TABLE = `${READ_MODEL_SCHEMA}.access_acl`;

export const CHAT_ACCESS_TABLES = [
  CHAT_ACCESS_TABLE,
  ACCESS_ORG_SETTINGS_TABLE,
  ACCESS_ORG_MEMBERS_TABLE,
  ACCESS_GROUPS_TABLE,
  ACCESS_GROUP_MEMBERS_TABLE,
  ACCESS_WORKSPACES_TABLE,
  ACCESS_WORKSPACE_MEMBERS_TABLE,
  ACCESS_CHATS_TABLE,
  ACCESS_ACL_TABLE,
] as const;

const ref = (prefix: string, nullability: 'NOT NULL' | 'NULL') => `
    ${prefix}_event_id    text ${nullability},
    ${prefix}_position    text COLLATE "C" ${nullability},
    ${prefix}_occurred_at text ${nullability}`;

export const CHAT_ACCESS_SCHEMA_SQL = `
  -- Effective access: one row per (user, live chat) on which libs/authz grants
  -- anything. No row means no access. Written only by recomputeAccess.
  CREATE TABLE ${CHAT_ACCESS_TABLE} (
    org_id           uuid    NOT NULL,
    user_id          uuid    NOT NULL,
    chat_id          uuid    NOT NULL,
    -- In policy order, never empty.
    permissions      text[]  NOT NULL CHECK (cardinality(permissions) > 0),
    write_blocked    boolean NOT NULL,
    -- The root's workspace, so a list filtered by workspace is one index range.
    workspace_id     uuid,
    -- The chat's ChatCreated position: the list order and the page key.
    created_position text COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, user_id, chat_id)
  );
  CREATE INDEX chat_access_list ON ${CHAT_ACCESS_TABLE} (org_id, user_id, created_position);
  CREATE INDEX chat_access_list_by_workspace
    ON ${CHAT_ACCESS_TABLE} (org_id, user_id, workspace_id, created_position);
  -- Recomputing a chat for everyone deletes by chat.
  CREATE INDEX chat_access_by_chat ON ${CHAT_ACCESS_TABLE} (org_id, chat_id, user_id);
  ${tenantTableSql(CHAT_ACCESS_TABLE)}

  CREATE TABLE ${ACCESS_ORG_SETTINGS_TABLE} (
    org_id                     uuid    PRIMARY KEY,
    chat_sharing_disabled      boolean NOT NULL,
    workspace_sharing_disabled boolean NOT NULL
  );
  ${tenantTableSql(ACCESS_ORG_SETTINGS_TABLE)}

  CREATE TABLE ${ACCESS_ORG_MEMBERS_TABLE} (
    org_id  uuid NOT NULL,
    user_id uuid NOT NULL,
    role    text NOT NULL,${ref('since', 'NOT NULL')},
    PRIMARY KEY (org_id, user_id)
  );
  CREATE INDEX access_org_members_by_role ON ${ACCESS_ORG_MEMBERS_TABLE} (org_id, role);
  ${tenantTableSql(ACCESS_ORG_MEMBERS_TABLE)}

  -- Live groups only: a deleted group's row and its members' rows go.
  CREATE TABLE ${ACCESS_GROUPS_TABLE} (
    org_id   uuid NOT NULL,
    group_id uuid NOT NULL,
    PRIMARY KEY (org_id, group_id)
  );
  ${tenantTableSql(ACCESS_GROUPS_TABLE)}

  CREATE TABLE ${ACCESS_GROUP_MEMBERS_TABLE} (
    org_id   uuid NOT NULL,
    group_id uuid NOT NULL,
    user_id  uuid NOT NULL,${ref('since', 'NOT NULL')},
    PRIMARY KEY (org_id, group_id, user_id)
  );
  CREATE INDEX access_group_members_by_user ON ${ACCESS_GROUP_MEMBERS_TABLE} (org_id, user_id);
  ${tenantTableSql(ACCESS_GROUP_MEMBERS_TABLE)}

  CREATE TABLE ${ACCESS_WORKSPACES_TABLE} (
    org_id       uuid NOT NULL,
    workspace_id uuid NOT NULL,${ref('archived_by', 'NULL')},
    PRIMARY KEY (org_id, workspace_id)
  );
  ${tenantTableSql(ACCESS_WORKSPACES_TABLE)}

  CREATE TABLE ${ACCESS_WORKSPACE_MEMBERS_TABLE} (
    org_id       uuid NOT NULL,
    workspace_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    role         text NOT NULL,${ref('since', 'NOT NULL')},
    PRIMARY KEY (org_id, workspace_id, user_id)
  );
  CREATE INDEX access_workspace_members_by_user ON ${ACCESS_WORKSPACE_MEMBERS_TABLE} (org_id, user_id);
  ${tenantTableSql(ACCESS_WORKSPACE_MEMBERS_TABLE)}

  -- Every chat ever created, deleted ones included (deleted = its own ChatDeleted).
  CREATE TABLE ${ACCESS_CHATS_TABLE} (
    org_id         uuid    NOT NULL,
    chat_id        uuid    NOT NULL,
    root_chat_id   uuid    NOT NULL,
    parent_chat_id uuid,
    -- From the root down to the parent; empty for a root.
    ancestor_ids   uuid[]  NOT NULL,
    owner_id       uuid    NOT NULL,
    -- The root's workspace, on sub-chats too.
    workspace_id   uuid,${ref('created', 'NOT NULL')},
    deleted        boolean NOT NULL,
    PRIMARY KEY (org_id, chat_id)
  );
  CREATE INDEX access_chats_by_root ON ${ACCESS_CHATS_TABLE} (org_id, root_chat_id);
  CREATE INDEX access_roots_by_owner ON ${ACCESS_CHATS_TABLE} (org_id, owner_id)
    WHERE parent_chat_id IS NULL;
  CREATE INDEX access_roots_by_workspace ON ${ACCESS_CHATS_TABLE} (org_id, workspace_id)
    WHERE parent_chat_id IS NULL;
  ${tenantTableSql(ACCESS_CHATS_TABLE)}

  -- ACL entries as the chat's stream holds them. Only a root's count, and
  -- only those of users and live groups (the loader filters).
  CREATE TABLE ${ACCESS_ACL_TABLE} (
    org_id       uuid NOT NULL,
    chat_id      uuid NOT NULL,
    subject_kind text NOT NULL CHECK (subject_kind IN ('user', 'group')),
    subject_id   uuid NOT NULL,
    role         text NOT NULL,${ref('granted_by', 'NOT NULL')},
    PRIMARY KEY (org_id, chat_id, subject_kind, subject_id)
  );
  CREATE INDEX access_acl_by_subject ON ${ACCESS_ACL_TABLE} (org_id, subject_kind, subject_id);
  ${tenantTableSql(ACCESS_ACL_TABLE)}
`;
