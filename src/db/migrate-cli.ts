import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDatabase } from './database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';
import { openOrm } from './orm';

/**
 * `npm run migration:create` writes a migration for what the entities have and the migrations
 * lack; `npm run migration:check` fails when there is such a difference. Both run against a
 * scratch database: DATABASE_URL's server, or a throwaway embedded PostgreSQL.
 */
async function main(command: string | undefined): Promise<number> {
  if (command !== 'create' && command !== 'check') {
    console.error('usage: migrate-cli create|check');
    return 2;
  }
  let embedded: EmbeddedDatabase | undefined;
  let dir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dir = mkdtempSync(join(tmpdir(), 'duban-migrate-'));
    embedded = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false });
    adminUrl = embedded.url('postgres');
  }
  const scratch = `duban_migrate_${process.pid}`;
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  await ensureDatabase(adminUrl, scratch);
  const orm = await openOrm(url.toString());
  try {
    const migrator = orm.getMigrator();
    await migrator.up();
    if (command === 'check') {
      const needed = await migrator.checkMigrationNeeded();
      console.log(needed ? 'migrations: the entities differ from the migrations; run npm run migration:create' : 'migrations: up to date with the entities');
      return needed ? 1 : 0;
    }
    const result = await migrator.createMigration();
    if (!result.fileName) {
      console.log('migrations: nothing to do; the entities match the migrations');
    } else {
      console.log(`migrations: wrote migrations/${result.fileName}; add it to migrations/index.ts`);
      console.log(result.diff.up.join('\n'));
    }
    return 0;
  } finally {
    await orm.close();
    const { Client } = await import('pg');
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists "${scratch}"`);
    await admin.end();
    await embedded?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv[2]).then((code) => process.exit(code), (error: unknown) => {
  console.error(`migrations: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
