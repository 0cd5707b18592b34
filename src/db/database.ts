import { join } from 'node:path';
import type { Config } from '../config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';
import { Client } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm, type ConnectionSettings } from './orm';

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

/**
 * Opens the ORM on `url` and applies every pending migration, one instance at a time. Migrations
 * run without the statement timeout (an index on the national tree takes what it takes); the ORM
 * returned has it on every connection.
 */
export async function openMigrated(url: string, settings: ConnectionSettings = {}): Promise<MikroORM> {
  if (settings.statementTimeoutMs) {
    await (await openMigrated(url)).close();
    return openOrm(url, {}, settings);
  }
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

export interface OpenDatabase {
  orm: MikroORM;
  url: string;
  /** True on the embedded PostgreSQL. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * The database the configuration names, migrated: DATABASE_URL, or the embedded PostgreSQL in the
 * data directory (started, or, with `attach`, the one a running server already started).
 */
export async function openConfiguredDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'statementTimeoutMs'>>, options: { attach?: boolean } = {}): Promise<OpenDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dir: join(config.dataDir, 'postgres'), attach: options.attach });
    await ensureDatabase(embedded.url('postgres'), 'duban');
    url = embedded.url('duban');
  }
  const stopEmbedded = async () => { await embedded?.stop().catch(() => undefined); };
  try {
    const orm = await openMigrated(url, { statementTimeoutMs: config.statementTimeoutMs });
    return { orm, url, embedded: Boolean(embedded), async close() { await orm.close(); await stopEmbedded(); } };
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
}
