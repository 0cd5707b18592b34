import { Client } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from './orm';

/** Creates `name` on the server of `adminUrl` when it is not there yet. */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;
      await client.query(`create database ${quote(name)}${template ? ` template ${quote(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}

/** An advisory lock key of Duban's migrations: instances starting together migrate one at a time. */
const MIGRATION_LOCK = 2_260_330_300;

/** Opens the ORM on `url` and applies every pending migration, one instance at a time. */
export async function openMigrated(url: string): Promise<MikroORM> {
  const orm = await openOrm(url);
  const lock = new Client({ connectionString: url });
  try {
    await lock.connect();
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await orm.getMigrator().up();
  } catch (error) {
    await orm.close();
    throw error;
  } finally {
    await lock.end().catch(() => undefined);
  }
  return orm;
}
