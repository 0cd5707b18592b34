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

/** Opens the ORM on `url` and applies every pending migration. */
export async function openMigrated(url: string): Promise<MikroORM> {
  const orm = await openOrm(url);
  try {
    await orm.getMigrator().up();
  } catch (error) {
    await orm.close();
    throw error;
  }
  return orm;
}
