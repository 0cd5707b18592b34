/**
 * The board benchmark (npm run bench:board): the contract's Board query (test/contract/board.graphql,
 * P3 at 330300) served three ways from the same PostgreSQL, measured one after the other with
 * autocannon from this process:
 *
 *   1. Duban itself (node dist/src/main.js), with the contract query, and again without `forecast`
 *      (the fields the other two serve);
 *   2. PostGraphile v4 over the `bench` views (sql.mjs);
 *   3. a raw baseline: node:http running one hand-written statement per request.
 *
 * Before measuring, the figures of the three are compared (actual, target, completion, status of
 * every indicator at the region and every child); any difference stops the run.
 *
 * Env: BENCH_DURATION (s, 15), BENCH_WARMUP (s, 3), BENCH_WARMUP_REQUESTS (at least, 100),
 * BENCH_CONNECTIONS (16), BENCH_ROUNDS (1; the median round is reported), BENCH_DATABASE_URL
 * (an admin URL of an external PostgreSQL; default an embedded one in a temp dir),
 * BENCH_ROLLUP (on|off, on: EXPLAIN the roll-up statement on the demo and on a tenfold tree),
 * BENCH_ROLLUP_RUNS (7).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { postmasterPid, startCpuMeter } from './cpu.mjs';
import { startServer } from './processes.mjs';
import { DUBAN_BOARD, DUBAN_BOARD_NO_FORECAST, LOGIN, POSTGRAPHILE_BOARD } from './queries.mjs';
import { measureRollUpCost } from './rollup-cost.mjs';
import { number } from '../env.mjs';
import { viewsSql } from './sql.mjs';
import { coverage, differences, fromDuban, fromPostGraphile } from './verify.mjs';
import { lifecycle, looksRight, post } from '../lifecycle.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

const settings = {
  durationSeconds: number('BENCH_DURATION', 15),
  warmupSeconds: number('BENCH_WARMUP', 3),
  warmupMinRequests: number('BENCH_WARMUP_REQUESTS', 100),
  connections: number('BENCH_CONNECTIONS', 16),
  rounds: number('BENCH_ROUNDS', 1),
  rollUp: !/^(0|off|false|no)$/i.test(process.env.BENCH_ROLLUP ?? 'on'),
  rollUpRuns: number('BENCH_ROLLUP_RUNS', 7),
};
const VARIABLES = { programme: 'P3', region: '330300' };
const TIME_ZONE = 'Asia/Shanghai';

const log = (line) => console.error(`[bench] ${line}`);

/** The URL of `database` on the server of `adminUrl`. */
function databaseUrl(adminUrl, database) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The database: BENCH_DATABASE_URL's server, or an embedded PostgreSQL in a temp dir. */
async function openDatabase(cleanup) {
  const external = process.env.BENCH_DATABASE_URL;
  if (external) return { adminUrl: external, urlOf: (db) => databaseUrl(external, db), embedded: false, postmaster: null };
  const { startEmbeddedPostgres } = require('../../dist/src/db/embedded.js');
  const dir = await mkdtemp(join(tmpdir(), 'duban-bench-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  log(`starting an embedded PostgreSQL in ${dir}`);
  const db = await startEmbeddedPostgres({ dir: join(dir, 'pg'), persistent: false });
  cleanup.push(() => db.stop());
  return { adminUrl: db.url('postgres'), urlOf: (name) => db.url(name), embedded: true, postmaster: postmasterPid(join(dir, 'pg')) };
}

/** One autocannon run. */
function cannon(target, options) {
  return new Promise((resolve, reject) => {
    autocannon({
      url: target.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: target.body,
      connections: settings.connections,
      verifyBody: looksRight,
      ...options,
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * Warm-up (at least warmupSeconds and warmupMinRequests: every pooled connection then runs its
 * prepared statements on a generic plan), then the measured run, with the CPU time it took.
 */
async function measure(target, postmaster) {
  let warm = (await cannon(target, { duration: settings.warmupSeconds })).requests.total;
  if (warm < settings.warmupMinRequests) warm += (await cannon(target, { amount: Math.max(settings.connections, settings.warmupMinRequests - warm) })).requests.total;
  const meter = startCpuMeter({ server: target.pid, postmaster });
  const r = await cannon(target, { duration: settings.durationSeconds });
  const cpu = meter.stop();
  const perRequest = (ms) => (ms === null || !r.requests.total ? null : ms / r.requests.total);
  return {
    name: target.name,
    warmupRequests: warm,
    requests: r.requests.total,
    requestsPerSecond: r.requests.average,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99, average: r.latency.average, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    badBodies: r.mismatches,
    bytesPerResponse: r.requests.total ? Math.round(r.throughput.total / r.requests.total) : 0,
    durationSeconds: r.duration,
    cpuMsPerRequest: cpu && {
      server: perRequest(cpu.serverMs), postgres: perRequest(cpu.postgresMs), loadGenerator: perRequest(cpu.loadGeneratorMs),
    },
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Of several rounds, the one with the median throughput. */
function medianRound(runs) {
  const rps = median(runs.map((r) => r.requestsPerSecond));
  return runs.reduce((best, r) => (Math.abs(r.requestsPerSecond - rps) < Math.abs(best.requestsPerSecond - rps) ? r : best));
}

function table(rows) {
  const ms = (v) => (v == null ? 'n/a' : v.toFixed(1));
  const head = ['server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'bad bodies', 'KB/resp', 'server CPU ms/req', 'PostgreSQL CPU ms/req'];
  const body = rows.map((r) => [r.name, r.requestsPerSecond.toFixed(1), String(r.latencyMs.p50), String(r.latencyMs.p99),
    String(r.errors), String(r.non2xx), String(r.badBodies), (r.bytesPerResponse / 1024).toFixed(1),
    ms(r.cpuMsPerRequest?.server), ms(r.cpuMsPerRequest?.postgres)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...body.map(line)].join('\n');
}

async function main() {
  const { cleanup, servers, stopAll } = lifecycle(log);

  try {
    // reflect-metadata and the entities come with database.js; the progress modules need them.
    const { ensureDatabase, openMigrated } = require('../../dist/src/db/database.js');
    const { DEMO_DAY, loadDemoIfEmpty } = require('../../dist/src/modules/demo/demo.loader.js');
    const { ON_TRACK_FROM, AT_RISK_FROM } = require('../../dist/src/modules/progress/progress.judge.js');
    const { freePort } = require('../../dist/src/db/embedded.js');
    const semantics = { asOf: DEMO_DAY, timeZone: TIME_ZONE, onTrackFrom: ON_TRACK_FROM, atRiskFrom: AT_RISK_FROM };

    const database = await openDatabase(cleanup);
    await ensureDatabase(database.adminUrl, 'duban_bench');
    const url = database.urlOf('duban_bench');
    const orm = await openMigrated(url);
    try {
      if (await loadDemoIfEmpty(orm.em)) log('loaded the Wenzhou 2019 demo');
    } finally {
      await orm.close();
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let postgres;
    try {
      await client.query(viewsSql(semantics));
      await client.query('analyze');
      postgres = (await client.query('show server_version')).rows[0].server_version;
    } finally {
      await client.end();
    }
    log(`database ready (PostgreSQL ${postgres}); views in schema bench; as of ${semantics.asOf}`);

    const common = { NODE_ENV: 'production' };
    const started = await Promise.allSettled([
      startServer({
        name: 'duban', cwd: ROOT, args: ['dist/src/main.js'], ready: /API \(HTTP\):\s+(\S+)/,
        env: { ...common, DATABASE_URL: url, JWT_SECRET: randomBytes(24).toString('hex'), PORT: String(await freePort()), HOST: '127.0.0.1', DUBAN_DEMO: 'on', DUBAN_TIME_ZONE: TIME_ZONE,
          // The figures cache is on by default; DUBAN_FIGURES_CACHE_ENTRIES=0 measures every board computed anew.
          DUBAN_FIGURES_CACHE_ENTRIES: process.env.DUBAN_FIGURES_CACHE_ENTRIES ?? '500',
          // One account for every connection of the load generator: its operations in flight are not the bound measured here.
          DUBAN_MAX_IN_FLIGHT_PER_USER: '10000' },
      }),
      startServer({
        name: 'postgraphile', cwd: ROOT, args: ['bench/board/postgraphile-server.mjs'], ready: /PostGraphile ready: (\S+)/,
        env: { ...common, DATABASE_URL: url, PORT: String(await freePort()) },
      }),
      startServer({
        name: 'raw', cwd: ROOT, args: ['bench/board/raw-server.mjs'], ready: /Raw ready: (\S+)/,
        env: { ...common, DATABASE_URL: url, PORT: String(await freePort()), BENCH_AS_OF: semantics.asOf, BENCH_TIME_ZONE: TIME_ZONE,
          BENCH_ON_TRACK_FROM: String(ON_TRACK_FROM), BENCH_AT_RISK_FROM: String(AT_RISK_FROM) },
      }),
    ]);
    servers.push(...started.filter((s) => s.status === 'fulfilled').map((s) => s.value));
    const failedToStart = started.filter((s) => s.status === 'rejected');
    if (failedToStart.length) throw new Error(failedToStart.map((s) => s.reason.message).join('\n'));
    const [duban, postgraphile, raw] = servers;
    log(`servers: duban ${duban.url}, postgraphile ${postgraphile.url}, raw ${raw.url}`);

    const token = JSON.parse(await post(duban.url, { query: LOGIN, variables: { username: 'screen', password: 'demo' } })).data.login.token;
    const auth = { authorization: `Bearer ${token}` };
    const targets = [
      { name: 'Duban (contract Board query)', pid: duban.pid, url: duban.url, headers: auth, body: JSON.stringify({ query: DUBAN_BOARD, variables: VARIABLES }) },
      { name: 'Duban (same fields, no forecast)', pid: duban.pid, url: duban.url, headers: auth, body: JSON.stringify({ query: DUBAN_BOARD_NO_FORECAST, variables: VARIABLES }) },
      { name: 'PostGraphile v4 (views)', pid: postgraphile.pid, url: postgraphile.url, headers: {}, body: JSON.stringify({ query: POSTGRAPHILE_BOARD, variables: VARIABLES }) },
      { name: 'Raw SQL (node:http + pg)', pid: raw.pid, url: raw.url, headers: {}, body: JSON.stringify({ variables: VARIABLES }) },
    ];

    // The same figures from all three, or no measurement.
    const send = (t) => post(t.url, JSON.parse(t.body), t.headers);
    const boards = [
      fromDuban(targets[0].name, await send(targets[0])),
      fromDuban(targets[1].name, await send(targets[1])),
      fromPostGraphile(targets[2].name, await send(targets[2])),
      fromDuban(targets[3].name, await send(targets[3])),
    ];
    const reference = boards[0];
    const { indicators, children } = coverage(reference);
    if (indicators === 0 || children === 0) throw new Error('the board is empty: nothing to compare');
    const problems = boards.slice(1).flatMap((board, i) => differences(reference, board, targets[i + 1].name));
    if (problems.length) {
      throw new Error(`the servers disagree (${problems.length} differences):\n  ${problems.slice(0, 40).join('\n  ')}`);
    }
    log(`verified: the same figures from all three (${indicators} indicators at ${VARIABLES.region}, ${children} children rows)`);

    const rounds = [];
    for (let round = 1; round <= settings.rounds; round++) {
      const results = [];
      for (const target of targets) {
        log(`round ${round}/${settings.rounds}: ${target.name}: ${settings.warmupSeconds} s warm-up, ${settings.durationSeconds} s at ${settings.connections} connections`);
        results.push(await measure(target, database.postmaster));
      }
      rounds.push(results);
    }
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    const results = targets.map((_, i) => medianRound(rounds.map((r) => r[i])));

    const [dubanFull, dubanSame, pgl, base] = results.map((r) => r.requestsPerSecond);
    const ratios = {
      dubanOverPostGraphile: dubanFull / pgl,
      dubanOverRaw: dubanFull / base,
      sameFieldsDubanOverPostGraphile: dubanSame / pgl,
      sameFieldsDubanOverRaw: dubanSame / base,
      postGraphileOverRaw: pgl / base,
    };

    let rollUp = null;
    if (settings.rollUp) {
      log('measuring the read-time roll-up statement (EXPLAIN ANALYZE)');
      rollUp = await measureRollUpCost({ adminUrl: database.adminUrl, urlOf: database.urlOf, ...VARIABLES, asOf: semantics.asOf, timeZone: TIME_ZONE, runs: settings.rollUpRuns, log });
    }

    const cpu = cpus();
    const report = {
      date: new Date().toISOString(),
      query: { file: 'test/contract/board.graphql', variables: VARIABLES, asOf: semantics.asOf, timeZone: TIME_ZONE },
      machine: { cpus: cpu.length, model: cpu[0]?.model, node: process.version, postgres, database: database.embedded ? 'embedded' : 'BENCH_DATABASE_URL' },
      settings,
      verified: { indicators, children },
      results,
      ratios,
      rounds: settings.rounds > 1 ? rounds : undefined,
      rollUp,
    };
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);

    const f = (x) => x.toFixed(2);
    console.log(`\nBoard query, P3 at 330300 (${indicators} indicators × ${children / indicators} children), ${settings.connections} connections, `
      + `${settings.durationSeconds} s after a ${settings.warmupSeconds} s warm-up; ${cpu.length} CPUs, Node ${process.version}, PostgreSQL ${postgres}\n`);
    console.log(table(results));
    console.log(`\nThroughput ratios: Duban/PostGraphile ${f(ratios.dubanOverPostGraphile)} (same fields: ${f(ratios.sameFieldsDubanOverPostGraphile)}), `
      + `Duban/raw ${f(ratios.dubanOverRaw)} (same fields: ${f(ratios.sameFieldsDubanOverRaw)}), PostGraphile/raw ${f(ratios.postGraphileOverRaw)}`);
    if (rollUp) {
      const line = (label, m) => `  ${label.padEnd(32)} ${String(m.keys).padStart(5)} keys  execution ${m.executionMs.toFixed(2).padStart(7)} ms  planning ${m.planningMs.toFixed(2).padStart(6)} ms`;
      for (const [label, tree] of [['demo', rollUp.demo], ['tenfold', rollUp.tenfold]]) {
        console.log(`\nRoll-up statement, ${label} tree (${tree.regions} regions, ${tree.submissions} submissions, ${tree.children} children of 330300), median of ${settings.rollUpRuns} EXPLAIN ANALYZE:`);
        console.log(line('330300 itself', tree.region));
        console.log(line('its children', tree.childrenBatch));
        console.log(line('both in one statement', tree.wholeBoard));
      }
    }
    console.log(`\nWritten to ${RESULTS}`);

    const failed = results.filter((r) => r.errors || r.non2xx || r.badBodies);
    if (failed.length) {
      process.exitCode = 1;
      log(`FAILED: errors under load: ${failed.map((r) => `${r.name} (${r.errors} errors, ${r.non2xx} non-2xx, ${r.badBodies} bad bodies)`).join('; ')}`);
    }
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  console.error(`[bench] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
