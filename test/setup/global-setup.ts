import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStorage } from '@mikro-orm/core';
import { Client } from 'pg';
import { openMigrated } from '../../src/db/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { ensureLoginRole } from '../../src/db/roles';
import { loadDemoIfEmpty } from '../../src/modules/demo/demo.loader';

declare global {
  // eslint-disable-next-line no-var
  var __DUBAN_EMBEDDED__: { db: EmbeddedDatabase; dir: string } | undefined;
}

/** A URL of `base`'s server as another role. */
function as(base: string, user: string, password: string): string {
  const url = new URL(base);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * Starts one PostgreSQL for the run (TEST_DATABASE_URL's server if set, else an embedded one in a
 * temporary directory), and builds the template every test file clones: migrated by the owner
 * role, demo loaded, the application role granted what the server gets. Test servers connect as
 * the application role, as `npm start` does, so every test runs with the server's privileges.
 * On TEST_DATABASE_URL's server the two roles are made for the run (its role needs CREATEROLE).
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let ownerUrl: string;
  let appUrl: string;
  let roles: { owner: string; app: string };
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'duban-test-'));
    const db = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false });
    globalThis.__DUBAN_EMBEDDED__ = { db, dir };
    adminUrl = db.url('postgres');
    ownerUrl = db.url('postgres', 'owner');
    appUrl = db.url('postgres', 'app');
    roles = db.roles;
  } else {
    roles = { owner: `duban_test_${process.pid}_owner`, app: `duban_test_${process.pid}_app` };
    const passwords = { owner: randomBytes(18).toString('base64url'), app: randomBytes(18).toString('base64url') };
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await ensureLoginRole(admin, { user: roles.owner, password: passwords.owner });
      await ensureLoginRole(admin, { user: roles.app, password: passwords.app });
      // The admin creates the run's databases for the owner.
      await admin.query(`grant "${roles.owner}" to current_user`);
    } finally {
      await admin.end();
    }
    ownerUrl = as(adminUrl, roles.owner, passwords.owner);
    appUrl = as(adminUrl, roles.app, passwords.app);
    process.env.DUBAN_TEST_DROP_ROLES = `${roles.app},${roles.owner}`;
  }
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  // Named for this run, so that runs sharing an external server never meet.
  const TEMPLATE = `duban_test_${process.pid}_template`;
  await admin.query(`create database "${TEMPLATE}" owner "${roles.owner}"`);
  const withDatabase = (base: string) => {
    const url = new URL(base);
    url.pathname = `/${TEMPLATE}`;
    return url.toString();
  };
  const orm = await openMigrated(withDatabase(ownerUrl), { grantTo: roles.app });
  await loadDemoIfEmpty(orm.em);
  await orm.close();
  // The ORM keeps entity metadata in a process-wide store; a file run in this process (in band)
  // must build its own, in its own realm.
  MetadataStorage.clear();
  await admin.query(`alter database "${TEMPLATE}" is_template true`);
  await admin.end();
  process.env.DUBAN_TEST_ADMIN_URL = adminUrl;
  process.env.DUBAN_TEST_OWNER_URL = ownerUrl;
  process.env.DUBAN_TEST_APP_URL = appUrl;
  process.env.DUBAN_TEST_OWNER_ROLE = roles.owner;
  process.env.DUBAN_TEST_APP_ROLE = roles.app;
  process.env.DUBAN_TEST_TEMPLATE = TEMPLATE;
}
