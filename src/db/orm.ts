import 'reflect-metadata';
import { join } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { migrationsList } from '../../migrations';
import { entities } from './entities';

/** The project's root, from src/db or dist/src/db. */
const root = join(__dirname, __dirname.includes(`${join('dist', 'src')}`) ? '../../..' : '../..');

export interface ConnectionSettings {
  /**
   * PostgreSQL's statement_timeout on every connection of the pool, in ms (0 or absent: none): a
   * statement running longer is cancelled (SQLSTATE 57014) and its transaction rolls back.
   */
  statementTimeoutMs?: number;
}

/** The options every connection starts with (`-c name=value`, libpq's `options`). */
function connectionOptions(settings: ConnectionSettings): string {
  // No JIT compilation: on a national tree the roll-up's estimates pass jit_above_cost, and
  // compiling took 250–450 ms of a statement that then ran in 10 (a board is many short statements).
  const options = ['-c jit=off'];
  if (settings.statementTimeoutMs) options.push(`-c statement_timeout=${Math.trunc(settings.statementTimeoutMs)}`);
  return options.join(' ');
}

export function ormConfig(clientUrl: string, overrides: Partial<Options> = {}, settings: ConnectionSettings = {}): Options {
  return defineConfig({
    clientUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      // Migrations are code, listed in migrations/index.ts; new ones are written there as TypeScript.
      migrationsList,
      pathTs: join(root, 'migrations'),
      path: join(root, 'migrations'),
      emit: 'ts',
      snapshot: true,
      snapshotName: '.snapshot-duban',
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
    // Batch references and collections by construction (no query per parent).
    dataloader: true,
    // Entities are read through the request's fork; the global EM is never used directly.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: false,
    pool: { min: 0, max: 10 },
    driverOptions: { connection: { options: connectionOptions(settings) } },
    ...overrides,
  });
}

export async function openOrm(clientUrl: string, overrides: Partial<Options> = {}, settings: ConnectionSettings = {}): Promise<MikroORM> {
  return MikroORM.init(ormConfig(clientUrl, overrides, settings));
}

export { MikroORM };
