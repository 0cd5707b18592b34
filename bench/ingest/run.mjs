/**
 * The ingestion benchmark (npm run bench:ingest), on a database with the demo, the national tree
 * and the national programme (bench/national/seed.mjs):
 *
 *   1. Steady rate with live boards: BENCH_INGEST_N (1000) subscribers of boardEvents (P3 at
 *      330300, the contract's subscription, in 2 processes: bench/fanout/subscribers.mjs) on one
 *      Duban; submitFigure (P3-01 at 330302, as lucheng, over HTTP) at each rate of
 *      BENCH_INGEST_RATES (a second) for BENCH_INGEST_STEP seconds, open loop (sent on schedule
 *      whatever the answers). Per step: p50/p99 of the HTTP answer, p99 of delivery (send to the
 *      first 330300 event at each subscriber that carries that figure or a later one: a board
 *      shows states, and figures of one page of facts, or waiting for a subscriber behind, are
 *      merged into the latest), missing (a board that never showed it or anything newer). In the same run, the raw baseline: the same rows
 *      INSERTed through `pg` (a pool of 10) at the same rates. The sustained rate is the highest
 *      step whose p99 is under 100 ms.
 *   2. Two instances: a second Duban on the same database (Redis bus if REDIS_URL or
 *      redis://127.0.0.1:6379 answers, else LISTEN/NOTIFY), the subscribers split over both, the
 *      writes alternated, at BENCH_INGEST_PAIR_RATE a second (by default the sustained rate, else the
 *      lowest step): the same measures, and each instance's CPU per submission beside the single
 *      instance's at that rate.
 *   3. Duban's RSS: idle (national tree loaded), with the subscribers idle, after the load.
 *   4. Bulk (bench/ingest/bulk.mjs): 100,000 figures of the national programme from a CSV file,
 *      loaded by COPY, by a multi-row INSERT, and by Duban's bulk path (submitFigures over HTTP,
 *      BENCH_INGEST_BULK_BATCH (5,000) figures a call, BENCH_INGEST_BULK_CONCURRENCY (2) at a time),
 *      in the same run; then the projector's time to fold them and the board events they caused.
 *
 * BENCH_INGEST_ONLY=bulk runs part 4 alone (on the same database set-up) and replaces only the
 * `bulk` entry of the results. BENCH_INGEST_ONLY=freshness runs part 1 alone at BENCH_INGEST_RATES
 * ("5,20" there) and replaces only the `freshness` entry: the projector's freshness goal (a
 * submission's ProgressChanged at every board, p99 ≤ 150 ms at 20 writes/s with 1,000 boards, and
 * the HTTP p99 ≤ 2 × raw INSERT's). Its delivery is timed from the client's send, so it bounds
 * commit → receipt from above. Results to stdout and bench/ingest/results.json.
 *
 * The subscribers are one meeting-room account's screens and the writes one reporter's, open
 * loop: the server runs with DUBAN_MAX_IN_FLIGHT_PER_USER raised (as the fan-out bench does), or
 * that account's operations in flight at once would be refused past 16.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'node:net';
import pg from 'pg';
import { startCpuMeter } from '../board/cpu.mjs';
import { startServer } from '../board/processes.mjs';
import { LOGIN } from '../board/queries.mjs';
import { openDatabase, percentile, settledRssMb } from '../database.mjs';
import { number } from '../env.mjs';
import { split, startSubscriberProcess } from '../fanout/clients.mjs';
import { seedNationalProgramme } from '../national/seed.mjs';
import { lifecycle } from '../lifecycle.mjs';
import { measureBulk } from './bulk.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const SUBSCRIPTION = await readFile(fileURLToPath(new URL('../../test/contract/board-events.graphql', import.meta.url)), 'utf8');
const SUBMIT = 'mutation Submit($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } progress { actual } } }';
const TIME_ZONE = 'Asia/Shanghai';
const P99_GOAL_MS = 100;

const settings = {
  subscribers: number('BENCH_INGEST_N', 1000),
  rates: (process.env.BENCH_INGEST_RATES || '0.5,1,2,5').split(',').map(Number),
  stepSeconds: number('BENCH_INGEST_STEP', 20),
  pairRate: process.env.BENCH_INGEST_PAIR_RATE ? number('BENCH_INGEST_PAIR_RATE', 1) : null,
  bulkBatch: number('BENCH_INGEST_BULK_BATCH', 5000),
  bulkConcurrency: number('BENCH_INGEST_BULK_CONCURRENCY', 2),
};
const ONLY = process.env.BENCH_INGEST_ONLY || undefined;
if (ONLY !== undefined && ONLY !== 'bulk' && ONLY !== 'freshness') throw new Error(`BENCH_INGEST_ONLY is bulk, freshness or unset, not "${ONLY}"`);
if (ONLY === 'freshness' && !process.env.BENCH_INGEST_RATES) settings.rates = [5, 20];
const FRESHNESS_GOAL_MS = 150;
const log = (line) => console.error(`[ingest] ${line}`);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (values) => {
  const sorted = Float64Array.from(values).sort();
  const r = (v) => (v == null ? null : Math.round(v * 10) / 10);
  return { count: sorted.length, p50: r(percentile(sorted, 50)), p90: r(percentile(sorted, 90)), p99: r(percentile(sorted, 99)), max: r(sorted[sorted.length - 1] ?? null) };
};

async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  const json = JSON.parse(text);
  if (json.errors?.length) throw new Error(`${url}: ${json.errors.map((e) => e.message).join('; ')}`);
  return json.data;
}

const redisAnswers = (host, port) => new Promise((resolve) => {
  const socket = createConnection({ host, port }, () => { socket.end(); resolve(true); });
  socket.on('error', () => resolve(false));
  socket.setTimeout(1000, () => { socket.destroy(); resolve(false); });
});

/** Sends `fire(i)` for i = 0… at `rate` a second for `seconds`, on schedule; resolves with every latency. */
async function openLoop(rate, seconds, fire) {
  const total = Math.round(rate * seconds);
  const start = now();
  const pending = [];
  const latencies = [];
  let errors = 0;
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 0) await sleep(wait);
    const sent = now();
    pending.push(fire(i, sent).then(() => latencies.push(now() - sent), (e) => { errors++; if (errors < 3) log(`error: ${e.message}`); }));
  }
  await Promise.all(pending);
  return { sent: total, latencies, errors };
}

async function subscriberStatus(clients, atLeast) {
  const all = await Promise.all(clients.map((c) => c.call('status', { atLeast })));
  return all.reduce((a, s) => ({ sockets: a.sockets + s.sockets, closed: a.closed + s.closed, reached: a.reached + s.reached, subscribed: a.subscribed + s.subscribed }), { sockets: 0, closed: 0, reached: 0, subscribed: 0 });
}

async function waitReached(clients, item, timeoutMs) {
  const deadline = now() + timeoutMs;
  let s;
  do {
    s = await subscriberStatus(clients, item);
    if (s.reached >= s.sockets - s.closed) return s;
    await sleep(100);
  } while (now() < deadline);
  return s;
}

/** Opens `n` subscribers split over `servers` (round robin of shares), two processes. */
async function connectSubscribers(servers, n, authorization, cleanup) {
  const clients = [startSubscriberProcess('subscribers-1'), startSubscriberProcess('subscribers-2')];
  for (const c of clients) cleanup.push(() => c.stop());
  const shares = split(n, clients.length);
  const started = now();
  await Promise.all(clients.map((c, i) => c.call('connect', {
    url: servers[i % servers.length].wsUrl, count: shares[i], batch: 100, pauseMs: 0, authorization, query: SUBSCRIPTION,
    variables: { programme: 'P3', region: '330300' }, timeoutMs: 60_000, protocol: 'graphql',
  })));
  return { clients, connectSeconds: (now() - started) / 1000 };
}

/** One rate step through Duban: submissions, their HTTP latencies and their delivery to every subscriber. */
async function dubanStep({ servers, clients, token, rate, seconds, nextValue, pids, postmaster }) {
  const sentAt = new Map();
  await Promise.all(clients.map((c) => c.call('mark')));
  const meters = pids.map((pid) => startCpuMeter({ server: pid, postmaster }));
  const run = await openLoop(rate, seconds, (i, sent) => {
    const value = nextValue();
    sentAt.set(value, sent);
    return post(servers[i % servers.length].url, { query: SUBMIT, variables: { input: { indicator: 'P3-01', region: '330302', value, asOf: '2019-06-30' } } }, { authorization: `Bearer ${token}` });
  });
  const values = [...sentAt.keys()];
  const drained = await waitReached(clients, values[values.length - 1], 30_000);
  const cpu = meters.map((m) => m.stop());
  // Per submission, when each board first showed its figure or a later one (the city's event).
  const collected = (await Promise.all(clients.map((c) => c.call('freshness', { items: values, part: '330300' })))).flat();
  const delivery = [];
  let missing = 0;
  for (const entry of collected) {
    missing += entry.missing;
    for (const t of entry.times) delivery.push(t - sentAt.get(entry.item));
  }
  return {
    rate, seconds, sent: run.sent, errors: run.errors, http: stats(run.latencies), delivery: stats(delivery), missing, closed: drained.closed,
    serverCpuMsPerSubmission: cpu.map((c) => (c ? c.serverMs / run.sent : null)),
    postgresCpuMsPerSubmission: cpu[0]?.postgresMs == null ? null : cpu[0].postgresMs / run.sent,
  };
}

async function main() {
  const { cleanup, servers, stopAll } = lifecycle(log);
  try {
    const { ensureDatabase, openMigrated } = require('../../dist/src/db/database.js');
    const { loadDemoIfEmpty } = require('../../dist/src/modules/demo/demo.loader.js');
    const { importRegions } = require('../../dist/src/modules/region/region.import.js');
    const { freePort } = require('../../dist/src/db/embedded.js');

    const database = await openDatabase(cleanup, log);
    await ensureDatabase(database.adminUrl, 'duban_ingest');
    const url = database.urlOf('duban_ingest');
    const orm = await openMigrated(url);
    try { await loadDemoIfEmpty(orm.em); } finally { await orm.close(); }
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle client's connection ended by the server (at shutdown) is no failure of the run.
    pool.on('error', (error) => log(`pool: ${error.message}`));
    cleanup.push(() => pool.end());
    const setup = await pool.connect();
    try {
      log('importing the national tree, seeding the national programme');
      await importRegions(setup, {});
      await seedNationalProgramme(setup, {});
    } finally {
      setup.release();
    }

    const redisUrl = process.env.REDIS_URL || ((await redisAnswers('127.0.0.1', 6379)) ? 'redis://127.0.0.1:6379' : undefined);
    const jwt = randomBytes(24).toString('hex');
    const startDuban = async (name, extra = {}) => startServer({
      name, cwd: ROOT, args: ['dist/src/main.js'], ready: /API \(HTTP\):\s+(\S+)/,
      env: { NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET: jwt, PORT: String(await freePort()), HOST: '127.0.0.1', DUBAN_DEMO: 'on', DUBAN_TIME_ZONE: TIME_ZONE,
        DUBAN_MAX_IN_FLIGHT_PER_USER: '10000', ...extra },
    }).then((s) => ({ ...s, wsUrl: s.url.replace(/^http/, 'ws') }));
    const busEnv = redisUrl ? { REDIS_URL: redisUrl } : {};
    const a = await startDuban('duban-a', busEnv);
    servers.push(a);
    const login = async (server, username) => (await post(server.url, { query: LOGIN, variables: { username, password: 'demo' } })).login.token;
    if (ONLY === 'bulk') {
      const bulk = await measureBulk({ pool, api: a, adminToken: await login(a, 'admin'), post, log, settings });
      await Promise.all(servers.splice(0).map((s) => s.stop()));
      const earlier = JSON.parse(await readFile(RESULTS, 'utf8').catch(() => '{}'));
      await writeFile(RESULTS, `${JSON.stringify({ ...earlier, bulk: { date: new Date().toISOString(), settings, ...bulk } }, null, 2)}\n`);
      console.log(JSON.stringify({ bulk: bulk.summary }, null, 2));
      return;
    }
    const memory = { idleMb: await settledRssMb(a.pid) };
    const writer = await login(a, 'lucheng');
    const screen = await login(a, 'screen');

    let value = 1000;
    const nextValue = () => ++value;
    log(`connecting ${settings.subscribers} subscribers`);
    let { clients, connectSeconds } = await connectSubscribers([a], settings.subscribers, `Bearer ${screen}`, cleanup);
    // Warm-up: until every subscriber has an event.
    for (let i = 0; i < 10; i++) {
      const v = nextValue();
      await post(a.url, { query: SUBMIT, variables: { input: { indicator: 'P3-01', region: '330302', value: v, asOf: '2019-06-30' } } }, { authorization: `Bearer ${writer}` });
      const s = await waitReached(clients, v, 5_000);
      log(`warm-up: ${s.reached}/${s.sockets - s.closed} live`);
      if (s.reached >= s.sockets - s.closed) break;
    }
    await sleep(2000);
    memory.subscribersIdleMb = await settledRssMb(a.pid);

    const steps = [];
    const raw = [];
    const insertRow = async (v) => {
      await pool.query(`insert into submission (indicator_id, region_code, value, as_of, status, submitted_by_id, submitted_at, idempotency_key)
        select i.id, '330302', $1, '2019-06-30', 'SUBMITTED', u.id, now(), null from indicator i, app_user u where i.code = 'P3-01' and u.username = 'lucheng'`, [v]);
    };
    for (const rate of settings.rates) {
      log(`Duban at ${rate}/s for ${settings.stepSeconds} s with ${settings.subscribers} subscribers`);
      const step = await dubanStep({ servers: [a], clients, token: writer, rate, seconds: settings.stepSeconds, nextValue, pids: [a.pid], postmaster: database.postmaster });
      log(`  http p99 ${step.http.p99} ms, delivery p99 ${step.delivery.p99} ms, missing ${step.missing}`);
      steps.push(step);
      log(`raw pg INSERT at ${rate}/s`);
      const r = await openLoop(rate, settings.stepSeconds, () => insertRow(nextValue()));
      raw.push({ rate, sent: r.sent, errors: r.errors, latency: stats(r.latencies) });
      log(`  p99 ${raw[raw.length - 1].latency.p99} ms`);
      if (step.http.p99 > P99_GOAL_MS * 10 && step.delivery.p99 > P99_GOAL_MS * 10) break; // far past the goal: higher rates add nothing
    }
    memory.afterLoadMb = await settledRssMb(a.pid);
    if (ONLY === 'freshness') {
      for (const c of clients) await c.stop();
      await Promise.all(servers.splice(0).map((s) => s.stop()));
      const freshness = {
        date: new Date().toISOString(), settings, bus: redisUrl ? 'redis' : 'postgres', connectSeconds, memory,
        steps: steps.map((step, i) => ({
          rate: step.rate, subscribers: settings.subscribers, sent: step.sent, errors: step.errors, missing: step.missing, closed: step.closed,
          deliveryP50: step.delivery.p50, deliveryP99: step.delivery.p99, httpP50: step.http.p50, httpP99: step.http.p99,
          rawP50: raw[i]?.latency.p50 ?? null, rawP99: raw[i]?.latency.p99 ?? null,
          httpOverRawP99: raw[i]?.latency.p99 ? Math.round((step.http.p99 / raw[i].latency.p99) * 100) / 100 : null,
          deliveryMet: step.delivery.p99 != null && step.delivery.p99 <= FRESHNESS_GOAL_MS && step.missing === 0,
          httpMet: raw[i]?.latency.p99 ? step.http.p99 <= 2 * raw[i].latency.p99 : false,
          serverCpuMsPerSubmission: step.serverCpuMsPerSubmission[0],
        })),
      };
      const earlier = JSON.parse(await readFile(RESULTS, 'utf8').catch(() => '{}'));
      await writeFile(RESULTS, `${JSON.stringify({ ...earlier, freshness }, null, 2)}\n`);
      console.log(JSON.stringify({ freshness: freshness.steps }, null, 2));
      return;
    }
    const underGoal = steps.filter((s) => s.http.p99 < P99_GOAL_MS && s.delivery.p99 < P99_GOAL_MS).map((s) => s.rate);
    const pairRate = settings.pairRate ?? Math.max(Math.min(...settings.rates), ...underGoal);
    const single = await dubanStep({ servers: [a], clients, token: writer, rate: pairRate, seconds: settings.stepSeconds, nextValue, pids: [a.pid], postmaster: database.postmaster });
    for (const c of clients) await c.stop();

    log(`two instances (${redisUrl ? 'Redis' : 'PostgreSQL LISTEN/NOTIFY'} bus), ${settings.subscribers} subscribers split, ${pairRate}/s`);
    const b = await startDuban('duban-b', busEnv);
    servers.push(b);
    ({ clients } = await connectSubscribers([a, b], settings.subscribers, `Bearer ${screen}`, cleanup));
    for (let i = 0; i < 10; i++) {
      const v = nextValue();
      await post(b.url, { query: SUBMIT, variables: { input: { indicator: 'P3-01', region: '330302', value: v, asOf: '2019-06-30' } } }, { authorization: `Bearer ${writer}` });
      const s = await waitReached(clients, v, 5_000);
      if (s.reached >= s.sockets - s.closed) break;
    }
    const pair = await dubanStep({ servers: [a, b], clients, token: writer, rate: pairRate, seconds: settings.stepSeconds, nextValue, pids: [a.pid, b.pid], postmaster: database.postmaster });
    log(`  two instances: http p99 ${pair.http.p99} ms, delivery p99 ${pair.delivery.p99} ms, missing ${pair.missing}`);
    for (const c of clients) await c.stop();
    await b.stop();

    // Bulk: the file, then COPY / multi-row INSERT / the API.
    const bulk = await measureBulk({ pool, api: a, adminToken: await login(a, 'admin'), post, log, settings });
    await Promise.all(servers.splice(0).map((s) => s.stop()));

    const under = (xs, pick) => xs.filter((x) => pick(x) != null && pick(x) < P99_GOAL_MS).map((x) => x.rate);
    const sustained = {
      dubanHttp: Math.max(0, ...under(steps, (s) => s.http.p99)),
      dubanDelivery: Math.max(0, ...under(steps, (s) => s.delivery.p99)),
      dubanBoth: Math.max(0, ...under(steps, (s) => Math.max(s.http.p99, s.delivery.p99))),
      raw: Math.max(0, ...under(raw, (s) => s.latency.p99)),
      testedUpTo: Math.max(...steps.map((s) => s.rate)),
    };
    const report = {
      date: new Date().toISOString(), settings, bus: redisUrl ? 'redis' : 'postgres', connectSeconds, steps, raw, sustained, single, pair, memory, bulk,
    };
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify({ sustained, memory, bulk: bulk.summary }, null, 2));
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  console.error(`[ingest] FAILED: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
