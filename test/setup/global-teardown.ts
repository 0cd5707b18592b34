import { rmSync } from 'node:fs';
import { Client } from 'pg';

/** Stops the embedded PostgreSQL, or drops this run's template from the external server. */
export default async function globalTeardown(): Promise<void> {
  const embedded = globalThis.__DUBAN_EMBEDDED__;
  if (embedded) {
    await embedded.db.stop();
    rmSync(embedded.dir, { recursive: true, force: true });
    return;
  }
  const admin = new Client({ connectionString: process.env.DUBAN_TEST_ADMIN_URL });
  await admin.connect();
  const template = process.env.DUBAN_TEST_TEMPLATE!;
  await admin.query(`alter database "${template}" is_template false`);
  await admin.query(`drop database if exists "${template}" with (force)`);
  // The run's roles, once nothing of theirs is left (a database a failed file left keeps them).
  for (const role of (process.env.DUBAN_TEST_DROP_ROLES ?? '').split(',').filter(Boolean)) {
    await admin.query(`drop role if exists "${role}"`).catch(() => undefined);
  }
  await admin.end();
}
