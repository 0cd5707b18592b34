import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetadataStorage } from '@mikro-orm/core';
import { Client } from 'pg';
import { openMigrated } from '../../src/db/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { loadDemoIfEmpty } from '../../src/modules/demo/demo.loader';

declare global {
  // eslint-disable-next-line no-var
  var __DUBAN_EMBEDDED__: { db: EmbeddedDatabase; dir: string } | undefined;
}

/**
 * Starts one PostgreSQL for the run (TEST_DATABASE_URL's server if set, else an embedded one in a
 * temporary directory), and builds the template every test file clones: migrated, demo loaded.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'duban-test-'));
    const db = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false });
    globalThis.__DUBAN_EMBEDDED__ = { db, dir };
    adminUrl = db.url('postgres');
  }
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  // Named for this run, so that runs sharing an external server never meet.
  const TEMPLATE = `duban_test_${process.pid}_template`;
  await admin.query(`create database "${TEMPLATE}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE}`;
  const orm = await openMigrated(url.toString());
  await loadDemoIfEmpty(orm.em);
  await orm.close();
  // The ORM keeps entity metadata in a process-wide store; a file run in this process (in band)
  // must build its own, in its own realm.
  MetadataStorage.clear();
  await admin.query(`alter database "${TEMPLATE}" is_template true`);
  await admin.end();
  process.env.DUBAN_TEST_ADMIN_URL = adminUrl;
  process.env.DUBAN_TEST_TEMPLATE = TEMPLATE;
}
