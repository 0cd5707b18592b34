/** The benches' PostgreSQL: BENCH_DATABASE_URL's server (an admin URL), or an embedded one in a temp dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postmasterPid } from './board/cpu.mjs';

const require = createRequire(import.meta.url);

/** The URL of `database` on the server of `adminUrl`. */
export function databaseUrl(adminUrl, database) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Opens the server; `cleanup` receives what stops it.
 * @returns {Promise<{ adminUrl: string; urlOf(db: string): string; embedded: boolean; postmaster: number | null }>}
 */
export async function openDatabase(cleanup, log) {
  const external = process.env.BENCH_DATABASE_URL;
  if (external) return { adminUrl: external, urlOf: (db) => databaseUrl(external, db), embedded: false, postmaster: null };
  const { startEmbeddedPostgres } = require('../dist/src/db/embedded.js');
  const dir = await mkdtemp(join(tmpdir(), 'duban-bench-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  log(`starting an embedded PostgreSQL in ${dir}`);
  const db = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false });
  cleanup.push(() => db.stop());
  return { adminUrl: db.url('postgres'), urlOf: (name) => db.url(name), embedded: true, postmaster: postmasterPid(join(dir, 'pg')) };
}

/** Resident memory of `pid` in KB (VmRSS), or null. */
export async function rssKb(pid) {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  } catch {
    return null;
  }
}

/** The median of 5 RSS samples 0.5 s apart, in MB. */
export async function settledRssMb(pid) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(await rssKb(pid));
    await new Promise((r) => setTimeout(r, 500));
  }
  samples.sort((a, b) => a - b);
  return samples[2] / 1024;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A percentile of sorted numbers (nearest rank). */
export function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
