/**
 * Read-time roll-up: how long Duban's roll-up statement (rollUp() in
 * src/modules/progress/progress.sql.ts, taken verbatim from dist/) runs for the P3 board at
 * 330300, on the demo and on a tree ten times larger (as test/board-cost.test.ts grows it).
 * EXPLAIN (ANALYZE) a few times, median. Works in a database of its own, dropped at the end.
 */
import { createRequire } from 'node:module';
import pg from 'pg';

const require = createRequire(import.meta.url);
const { ensureDatabase, openMigrated } = require('../../dist/src/db/database.js');
const { loadDemoIfEmpty } = require('../../dist/src/modules/demo/demo.loader.js');
const { rollUp } = require('../../dist/src/modules/progress/progress.sql.js');

const DATABASE = 'duban_bench_rollup';

/** Ten times the tree under 330300: 108 more counties, 15 townships under every county; each reports P3-01 and P3-05 (test/board-cost.test.ts). */
const GROW_TENFOLD = [
  `insert into region (code, name, level, parent_code, path)
   select '3303T' || i, '县' || i, 'COUNTY', '330300', '/330000/330300/3303T' || i || '/' from generate_series(1, 108) as i`,
  `insert into region (code, name, level, parent_code, path)
   select c.code || '-' || j, c.name || j, 'TOWNSHIP', c.code, c.path || c.code || '-' || j || '/'
   from region c, generate_series(1, 15) as j where c.level = 'COUNTY'`,
  `insert into submission (indicator_id, region_code, value, as_of, status, submitted_by_id, submitted_at, synthetic)
   select i.id, r.code, 1, '2019-06-30', 'APPROVED', (select id from app_user where username = 'admin'), '2019-06-30T10:00:00Z', true
   from indicator i join region r on r.level = i.reporting_level and r.path like '/330000/330300/%'
   where i.code in ('P3-01', 'P3-05') and (r.code like '3303T%' or r.code like '%-%')`,
  'analyze',
];

/** The SQL and parameters rollUp() sends for `keys`, captured instead of run. */
async function rollUpStatement(keys, asOf, timeZone) {
  let statement;
  const execute = async (sql, params) => { statement = { sql, params }; return []; };
  // rollUp() runs its statement through em.execute (or, in older builds, em.getConnection().execute).
  await rollUp({ execute, getConnection: () => ({ execute }) }, new Map(), keys, asOf, timeZone);
  if (!statement) throw new Error('rollUp() ran no statement');
  return statement;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** EXPLAIN (ANALYZE) `runs` times (after one unmeasured run): median execution and planning, in ms. */
async function explain(orm, statement, runs) {
  const connection = orm.em.fork().getConnection();
  const execution = [];
  const planning = [];
  for (let run = 0; run <= runs; run++) {
    const [row] = await connection.execute(`explain (analyze, format json) ${statement.sql}`, statement.params);
    const [plan] = row['QUERY PLAN'];
    if (run === 0) continue;
    execution.push(plan['Execution Time']);
    planning.push(plan['Planning Time']);
  }
  return { executionMs: median(execution), planningMs: median(planning), runs };
}

/** The P3 board's two roll-up batches at `region`: the region itself, and its children. */
async function measureBoard(orm, { programme, region, asOf, timeZone, runs }) {
  const connection = orm.em.fork().getConnection();
  const indicators = (await connection.execute('select i.id from indicator i join programme p on p.id = i.programme_id where p.code = ? order by i.position', [programme])).map((r) => r.id);
  const children = (await connection.execute('select code from region where parent_code = ? order by code', [region])).map((r) => r.code);
  const [{ regions, submissions }] = await connection.execute('select (select count(*) from region)::int as regions, (select count(*) from submission)::int as submissions');
  const keysFor = (codes) => indicators.flatMap((indicatorId) => codes.map((regionCode) => ({ indicatorId, regionCode })));
  const topKeys = keysFor([region]);
  const childKeys = keysFor(children);
  const whole = keysFor([region, ...children]);
  return {
    regions, submissions, children: children.length,
    region: { keys: topKeys.length, ...(await explain(orm, await rollUpStatement(topKeys, asOf, timeZone), runs)) },
    childrenBatch: { keys: childKeys.length, ...(await explain(orm, await rollUpStatement(childKeys, asOf, timeZone), runs)) },
    wholeBoard: { keys: whole.length, ...(await explain(orm, await rollUpStatement(whole, asOf, timeZone), runs)) },
  };
}

/**
 * @param {{ adminUrl: string; urlOf: (database: string) => string; programme: string; region: string; asOf: string; timeZone: string; runs: number; log: (line: string) => void }} options
 */
export async function measureRollUpCost(options) {
  const { adminUrl, urlOf, log } = options;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${DATABASE} with (force)`);
    await ensureDatabase(adminUrl, DATABASE);
    const orm = await openMigrated(urlOf(DATABASE));
    try {
      await loadDemoIfEmpty(orm.em);
      await orm.em.fork().getConnection().execute('analyze');
      log('roll-up cost: the demo');
      const demo = await measureBoard(orm, options);
      log('roll-up cost: growing the tree tenfold');
      for (const sql of GROW_TENFOLD) await orm.em.fork().getConnection().execute(sql);
      const tenfold = await measureBoard(orm, options);
      return { demo, tenfold };
    } finally {
      await orm.close();
    }
  } finally {
    await admin.query(`drop database if exists ${DATABASE} with (force)`).catch(() => undefined);
    await admin.end();
  }
}
