import pg from 'pg';

/** Owns the schema: runs migrations, and the projectors write as it. */
export const OWNER_ROLE = 'tenantry_owner';
/**
 * What queries run as: owns nothing, no superuser, no BYPASSRLS, so
 * row-level security binds it even where a query forgets its tenant filter
 * (DESIGN.md §7).
 */
export const APP_ROLE = 'tenantry_app';
/** The embedded cluster's database. */
export const EMBEDDED_DATABASE = 'tenantry';

const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * Embedded mode, as the cluster's superuser: creates both roles and the
 * database, and (re)sets the roles' passwords and attributes to what the data
 * dir says. Idempotent.
 */
export async function bootstrapEmbeddedRoles(
  superuserUrl: string,
  passwords: { readonly owner: string; readonly app: string },
): Promise<void> {
  await withClient(superuserUrl, async (client) => {
    await ensureRole(client, OWNER_ROLE);
    await ensureRole(client, APP_ROLE);
    await client.query(
      `ALTER ROLE ${OWNER_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ` +
        `PASSWORD ${client.escapeLiteral(passwords.owner)}`,
    );
    await client.query(
      `ALTER ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS ` +
        `PASSWORD ${client.escapeLiteral(passwords.app)}`,
    );
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      EMBEDDED_DATABASE,
    ]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE} OWNER ${OWNER_ROLE}`);
  });
}

/**
 * External mode (DATABASE_URL), as the owner: creates the app role if it is
 * missing, with TENANTRY_APP_DB_PASSWORD as its password when given. An
 * existing role is left as it is (its password is the operator's business);
 * verifyAppRole then refuses one that could bypass row-level security.
 */
export async function ensureExternalAppRole(
  ownerUrl: string,
  appPassword: string | undefined,
): Promise<void> {
  await withClient(ownerUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
    if (rowCount !== 0) return;
    const password = appPassword === undefined ? '' : ` PASSWORD ${client.escapeLiteral(appPassword)}`;
    try {
      await client.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS${password}`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === DUPLICATE_OBJECT || code === UNIQUE_VIOLATION) return; // another process won the race
      if (code === INSUFFICIENT_PRIVILEGE) {
        throw new Error(
          `The DATABASE_URL user may not create the role ${APP_ROLE}. Create it once as an administrator ` +
            `(CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '…'; no SUPERUSER, no BYPASSRLS) and set ` +
            'TENANTRY_APP_DB_PASSWORD to its password, or grant CREATEROLE to the DATABASE_URL user.',
        );
      }
      throw error;
    }
  });
}

/**
 * Refuses to start with an app role that row-level security would not bind:
 * a superuser, a BYPASSRLS role, a role that owns objects here (owners bypass
 * RLS unless it is forced), or one that is a member of another role (it could
 * SET ROLE to it).
 */
export async function verifyAppRole(client: pg.ClientBase | pg.Pool): Promise<void> {
  const { rows } = await client.query<{
    rolsuper: boolean;
    rolbypassrls: boolean;
    owned: string;
    member_of: string[];
  }>(
    `SELECT r.rolsuper, r.rolbypassrls,
            (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
          + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
          + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
          + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)
          + (SELECT count(*) FROM pg_database WHERE datdba = r.oid) AS owned,
            ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                   WHERE m.member = r.oid) AS member_of
       FROM pg_roles r WHERE r.rolname = $1`,
    [APP_ROLE],
  );
  const role = rows[0];
  if (!role) throw new Error(`The role ${APP_ROLE} does not exist`);
  const problems = [
    role.rolsuper && 'is a superuser',
    role.rolbypassrls && 'has BYPASSRLS',
    Number(role.owned) > 0 && `owns ${role.owned} objects in this database`,
    role.member_of.length > 0 && `is a member of ${role.member_of.join(', ')}`,
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new Error(
      `The role ${APP_ROLE} ${problems.join(', ')}: row-level security would not bind it. ` +
        'Queries must run as a role that owns nothing and cannot bypass RLS.',
    );
  }
}

async function ensureRole(client: pg.Client, role: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (rowCount === 0) await client.query(`CREATE ROLE ${role} LOGIN`);
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // A connection that breaks between two queries fails the next one; unheard, its 'error' would crash us.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
