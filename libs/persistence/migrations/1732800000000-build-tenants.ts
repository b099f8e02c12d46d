import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `builds.tenants`: the orgs a rebuild has applied events of, moved with its
 * position. A projection that leaves work to the end of its build
 * (libs/projection-runtime `completeBuild`: chat-access computes access
 * once, after its facts have caught up) finishes it per tenant, and row-level
 * security lets no owner session list the tenants of its tables.
 */
export class BuildTenants1732800000000 implements MigrationInterface {
  readonly name = 'BuildTenants1732800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE projection.builds ADD COLUMN tenants uuid[] NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE projection.builds DROP COLUMN tenants');
  }
}
