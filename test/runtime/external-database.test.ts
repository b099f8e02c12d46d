import { pino } from 'pino';
import {
  APP_ROLE,
  type Database,
  externalAppUrl,
  openDatabase,
  runMigrations,
} from '../../libs/persistence/index.js';
import { MIGRATIONS } from '../../libs/persistence/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('an external Postgres (DATABASE_URL)', () => {
  let testDatabase: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    database = await openDatabase(
      { databaseUrl: testDatabase.url, appDbPassword: 'app-password-for-tests', dataDir: '/nonexistent' },
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

  it('starts no Postgres, migrates as the DATABASE_URL user and queries as tenantry_app', async () => {
    expect(database.mode).toBe('external');
    expect(database.embedded).toBeUndefined();
    expect(await runMigrations(database.ownerPool, database.owner)).toEqual(
      MIGRATIONS.map((migration) => new migration().name),
    );
    const owner = await database.ownerPool.query('SELECT current_user AS name');
    expect(owner.rows[0].name).toBe(new URL(testDatabase.url).username);
    const app = await database.appPool.query(
      'SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
    );
    expect(app.rows).toEqual([{ name: APP_ROLE, rolsuper: false, rolbypassrls: false }]);
  });

  it('connects the app role to the same host, port, database and options', () => {
    expect(
      externalAppUrl('postgres://owner:secret@db.internal:6543/tenantry?sslmode=require', 'app-pw'),
    ).toBe('postgres://tenantry_app:app-pw@db.internal:6543/tenantry?sslmode=require');
    expect(externalAppUrl('postgres://owner:secret@db/tenantry', undefined)).toBe(
      'postgres://tenantry_app@db/tenantry',
    );
  });
});
