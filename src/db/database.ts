import { join } from 'node:path';
import type { Config } from '../config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded';
import { Client } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm, type ConnectionSettings } from './orm';
import { adoptDatabase, grantAppPrivileges, quoteIdent, roleOf } from './roles';

/**
 * Creates `name` on the server of `adminUrl` when it is not there yet. With `owner` (run as a
 * superuser), the database and everything in it belong to that role, a database an older version
 * made included.
 */
export async function ensureDatabase(adminUrl: string, name: string, options: { template?: string; owner?: string } = {}): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      await client.query(`create database ${quoteIdent(name)}${options.template ? ` template ${quoteIdent(options.template)}` : ''}${options.owner ? ` owner ${quoteIdent(options.owner)}` : ''}`);
    }
  } finally {
    await client.end();
  }
  if (options.owner) await adoptDatabase(adminUrl, name, options.owner);
}

/** An advisory lock key of Duban's migrations: instances starting together migrate one at a time. */
const MIGRATION_LOCK = 2_260_330_300;

export interface MigrateOptions {
  /** The role the server runs as: granted what it needs once the migrations are applied (src/db/roles.ts). */
  grantTo?: string;
}

/**
 * Opens the ORM on `url` and applies every pending migration, one instance at a time; `url`
 * connects as the tables' owner.
 */
export async function openMigrated(url: string, options: MigrateOptions = {}): Promise<MikroORM> {
  const orm = await openOrm(url);
  const lock = new Client({ connectionString: url });
  try {
    await lock.connect();
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await orm.getMigrator().up();
    if (options.grantTo) await grantAppPrivileges(lock, options.grantTo);
  } catch (error) {
    await orm.close();
    throw error;
  } finally {
    await lock.end().catch(() => undefined);
  }
  return orm;
}

/** Applies every pending migration on `url` (the owner's), and grants the server's role its privileges. */
export async function migrate(url: string, options: MigrateOptions = {}): Promise<void> {
  await (await openMigrated(url, options)).close();
}

export interface OpenDatabase {
  orm: MikroORM;
  /** Where the server connects, as the application role. */
  url: string;
  /** Where the migrations ran, as the owner of the tables (the same as `url` where one role does both). */
  ownerUrl: string;
  /** True on the embedded PostgreSQL. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * The database the configuration names, migrated: DATABASE_URL, or the embedded PostgreSQL in the
 * data directory (started, or, with `attach`, the one a running server already started).
 * The migrations run as the tables' owner (the embedded cluster's owner role, or
 * DATABASE_MIGRATION_URL, else DATABASE_URL); the ORM connects as the application role.
 */
export async function openConfiguredDatabase(config: Pick<Config, 'databaseUrl' | 'databaseMigrationUrl' | 'dataDir'> & Partial<Pick<Config, 'statementTimeoutMs'>>, options: { attach?: boolean } = {}): Promise<OpenDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  const stopEmbedded = async () => { await embedded?.stop().catch(() => undefined); };
  try {
    let url: string;
    let ownerUrl: string;
    if (config.databaseUrl) {
      url = config.databaseUrl;
      ownerUrl = config.databaseMigrationUrl ?? url;
      const role = await roleOf(url);
      if (role.superuser) console.warn(`duban: DATABASE_URL connects as the superuser ${role.user}: its credentials can switch the append-only rules off (README, Database roles)`);
      await migrate(ownerUrl, ownerUrl === url ? {} : { grantTo: role.user });
    } else {
      embedded = await startEmbeddedPostgres({ dir: join(config.dataDir, 'postgres'), attach: options.attach });
      await ensureDatabase(embedded.url('postgres'), 'duban', { owner: embedded.roles.owner });
      url = embedded.url('duban', 'app');
      ownerUrl = embedded.url('duban', 'owner');
      await migrate(ownerUrl, { grantTo: embedded.roles.app });
    }
    // Migrations ran without the statement timeout (an index on the national tree takes what it takes).
    const settings: ConnectionSettings = { statementTimeoutMs: config.statementTimeoutMs };
    const orm = await openOrm(url, {}, settings);
    return { orm, url, ownerUrl, embedded: Boolean(embedded), async close() { await orm.close(); await stopEmbedded(); } };
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
}
