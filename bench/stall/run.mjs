/**
 * node bench/stall/run.mjs (npm run bench:stall): the query of a REPORTER that stalled the server
 * (29 aliases of a county's progress on different days, with its history, its townships' forecast
 * and history and the allocation, across `programmes { indicators }`), sent six times in parallel,
 * while `/healthz` is asked every 20 ms from this process. Three cases, each on a fresh Duban
 * (demo, figures cache off) over the same database:
 *   1. the defaults: the query is refused before it runs (LIMIT_EXCEEDED, limit "reads");
 *   2. the defaults, the largest variant they let through (fewer aliases), six in parallel;
 *   3. the read cost turned off (DUBAN_MAX_READ_COST at its maximum): what the query did before
 *      (minutes; BENCH_STALL_UNLIMITED=off leaves it out).
 * Writes bench/stall/results.json; the section of BENCHMARKS.md comes from bench/stall/report.mjs.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { openDatabase, percentile } from '../database.mjs';
import { number } from '../env.mjs';
import { lifecycle, post } from '../lifecycle.mjs';
import { startServer } from '../board/processes.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const log = (message) => console.error(`[stall] ${message}`);

const settings = {
  parallel: number('BENCH_STALL_PARALLEL', 6),
  rounds: number('BENCH_STALL_ROUNDS', 3),
  healthEveryMs: number('BENCH_STALL_HEALTH_MS', 20),
  statementTimeoutMs: number('BENCH_STALL_TIMEOUT_MS', 15_000),
};

const day = (i) => new Date(Date.UTC(2019, 0, 1 + i * 6)).toISOString().slice(0, 10);
/** The query with `aliases` aliases. */
export const stall = (aliases) => `{ programmes { indicators { ${Array.from({ length: aliases }, (_, i) =>
  `a${i}: progress(region: "330302", asOf: "${day(i)}") { history { asOf actual } children { forecast history { asOf actual } } allocation { target childrenSum } }`).join(' ')} } } }`;
const LOGIN = 'mutation { login(username: "lucheng", password: "demo") { token } }';

/**
 * Asks /healthz every `everyMs` until stopped; the latencies in ms, a failed request counted with
 * its time (a server whose loop was blocked past its keep-alive timeout resets the idle socket).
 */
function sampleHealth(origin, everyMs) {
  const latencies = [];
  let failures = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${origin}/healthz`);
        await res.arrayBuffer();
        if (!res.ok) failures += 1;
      } catch {
        failures += 1;
      }
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => { running = false; await done; return { latencies, failures }; };
}

const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null };
};

/** One case: `parallel` copies of the query at once, `rounds` times, /healthz sampled throughout. */
async function burst(server, query, token) {
  const origin = server.url.replace(/\/graphql$/, '');
  const stop = sampleHealth(origin, settings.healthEveryMs);
  const answers = [];
  const t0 = performance.now();
  for (let round = 0; round < settings.rounds; round++) {
    answers.push(...await Promise.all(Array.from({ length: settings.parallel }, async () => {
      const start = performance.now();
      let res;
      let text;
      try {
        res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
        text = await res.text();
      } catch (error) {
        return { ms: performance.now() - start, status: 0, code: `failed (${error.cause?.code ?? error.message})`, bytes: 0 };
      }
      let code = 'OK';
      let limit;
      try {
        const error = JSON.parse(text).errors?.[0];
        if (error) { code = error.extensions?.code ?? 'unknown'; limit = error.extensions?.limit; }
      } catch {
        code = `HTTP ${res.status}`;
      }
      return { ms: performance.now() - start, status: res.status, code, limit, bytes: text.length };
    })));
  }
  const elapsedMs = performance.now() - t0;
  const { latencies, failures } = await stop();
  const codes = {};
  for (const a of answers) { const k = a.limit ? `${a.code} (${a.limit})` : a.code; codes[k] = (codes[k] ?? 0) + 1; }
  return { elapsedMs, answers: summary(answers.map((a) => a.ms)), codes, bytesPerAnswer: Math.round(answers.reduce((s, a) => s + a.bytes, 0) / answers.length), health: { ...summary(latencies), failures } };
}

async function main() {
  const { cleanup, servers, stopAll } = lifecycle(log);
  try {
    const { ensureDatabase, openMigrated } = require('../../dist/src/db/database.js');
    const { loadDemoIfEmpty } = require('../../dist/src/modules/demo/demo.loader.js');
    const { freePort } = require('../../dist/src/db/embedded.js');
    const { loadConfig } = require('../../dist/src/config.js');
    const defaults = loadConfig({ NODE_ENV: 'test' });
    const database = await openDatabase(cleanup, log);
    await ensureDatabase(database.adminUrl, 'duban_stall');
    const url = database.urlOf('duban_stall');
    const orm = await openMigrated(url);
    try {
      if (await loadDemoIfEmpty(orm.em)) log('loaded the Wenzhou 2019 demo');
    } finally {
      await orm.close();
    }

    const start = async (env) => {
      const server = await startServer({
        name: 'duban', cwd: ROOT, args: ['dist/src/main.js'], ready: /API \(HTTP\):\s+(\S+)/,
        env: { NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET: randomBytes(24).toString('hex'), PORT: String(await freePort()), HOST: '127.0.0.1', DUBAN_DEMO: 'on',
          DUBAN_FIGURES_CACHE_ENTRIES: '0', DUBAN_STATEMENT_TIMEOUT_MS: String(settings.statementTimeoutMs), LOG_LEVEL: 'warn', ...env },
      });
      servers.push(server);
      const token = JSON.parse(await post(server.url, { query: LOGIN })).data.login.token;
      return { server, token, async stop() { servers.splice(servers.indexOf(server), 1); await server.stop(); } };
    };

    const cases = [];
    {
      const { server, token, stop } = await start({});
      // The largest variant the defaults let through: fewer aliases, until it is not refused.
      let allowed = 0;
      for (let n = 1; n <= 29; n++) {
        const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: stall(n) }) });
        const body = await res.json();
        if (body.errors?.[0]?.extensions?.code === 'LIMIT_EXCEEDED') break;
        allowed = n;
      }
      log(`defaults: ${allowed} aliases let through, ${allowed + 1} refused`);
      log('case 1: the query of the issue (29 aliases), defaults');
      cases.push({ name: 'the query (29 aliases), defaults', aliases: 29, env: {}, ...await burst(server, stall(29), token) });
      if (allowed > 0) {
        log(`case 2: ${allowed} aliases, defaults`);
        cases.push({ name: `the largest let through (${allowed} aliases), defaults`, aliases: allowed, env: {}, ...await burst(server, stall(allowed), token) });
      }
      await stop();
    }
    // BENCH_STALL_UNLIMITED=off leaves out the last case (minutes: the query as it was).
    if (process.env.BENCH_STALL_UNLIMITED !== 'off') {
      const env = { DUBAN_MAX_READ_COST: '1000000000' };
      const { server, token, stop } = await start(env);
      log('case 3: the query (29 aliases), read cost off');
      cases.push({ name: 'the query (29 aliases), read cost off', aliases: 29, env, ...await burst(server, stall(29), token) });
      await stop();
    }
    const results = { date: new Date().toISOString(), settings, limits: { maxReadCost: defaults.limits.maxReadCost, maxInFlightPerUser: defaults.limits.maxInFlightPerUser }, cases };
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    const { stallSection } = await import('./report.mjs');
    console.log(stallSection(results).join('\n'));
  } finally {
    await stopAll();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => { console.error(error); process.exitCode = 1; });
}
