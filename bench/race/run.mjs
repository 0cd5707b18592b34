/**
 * The race benchmark (npm run bench:race): BENCH_RACE_BURSTS (50) bursts of 12 concurrent
 * submitFigure of P3-01, one per county of 温州市 (330300), as admin over HTTP; a screen subscribed
 * to boardEvents P3 at 330300. After each burst, once the projector has folded it, the last
 * ProgressChanged of P3-01 at 330300 the screen received is compared with a fresh `progress`
 * query. One instance, and two on one database (writes alternated, the screen on the second), over
 * LISTEN/NOTIFY and, if REDIS_URL (or redis://127.0.0.1:6379) answers, Redis. Per case: bursts,
 * mismatches, and the HTTP answer time of the writes (p50, p99).
 *
 * Results to stdout and bench/race/results.json.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { startServer } from '../board/processes.mjs';
import { openDatabase, percentile } from '../database.mjs';
import { number } from '../env.mjs';
import { lifecycle, post } from '../lifecycle.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const BURSTS = number('BENCH_RACE_BURSTS', 50);
const FIGURES = 'actual completion expectedByNow status reportedCount expectedCount met metOf doneOn lastReportedAt target { id }';
const BOARD = `subscription { boardEvents(programme: "P3", region: "330300") { __typename cursor
  ... on ProgressChanged { indicator { code } region { code } progress { ${FIGURES} } } } }`;
const PROGRESS = `{ indicator(code: "P3-01") { progress(region: "330300") { ${FIGURES} } } }`;
const SUBMIT = 'mutation ($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const log = (line) => console.error(`[race] ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(condition, what, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const redisAnswers = (url) => new Promise((resolve) => {
  const { hostname, port } = new URL(url);
  const socket = createConnection({ host: hostname, port: Number(port || 6379) });
  socket.once('connect', () => { socket.end(); resolve(true); });
  socket.once('error', () => resolve(false));
});

const { cleanup, servers, stopAll } = lifecycle(log);
const results = [];
try {
  const db = await openDatabase(cleanup, log);
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const buses = [['postgres', {}], ...((await redisAnswers(redisUrl)) ? [['redis', { REDIS_URL: redisUrl }]] : [])];
  let n = 0;
  for (const [bus, busEnv] of buses) {
    for (const instances of [1, 2]) {
      const name = `duban_race_${process.pid}_${n++}`;
      const admin = new pg.Client({ connectionString: db.adminUrl });
      await admin.connect();
      await admin.query(`create database "${name}"`);
      await admin.end();
      const url = db.urlOf(name);
      cleanup.push(async () => {
        const a = new pg.Client({ connectionString: db.adminUrl });
        await a.connect();
        await a.query(`drop database if exists "${name}" with (force)`);
        await a.end();
      });
      const env = { DATABASE_URL: url, JWT_SECRET: randomBytes(24).toString('hex'), PORT: '0', NODE_ENV: 'production', DUBAN_EVENT_POLL_MS: '200', ...busEnv };
      const started = [];
      for (let i = 0; i < instances; i++) {
        const server = await startServer({ name: `duban-${i}`, args: ['dist/src/main.js'], env, ready: /API \(HTTP\):\s+(\S+)/, cwd: ROOT });
        servers.push(server);
        started.push(server);
      }
      const sql = new pg.Client({ connectionString: url });
      await sql.connect();
      const gql = async (at, query, variables, token) => JSON.parse(await post(at.url, { query, variables }, token ? { authorization: `Bearer ${token}` } : {}));
      const tokens = await Promise.all(started.map(async (s) => (await gql(s, 'mutation { login(username: "admin", password: "demo") { token } }')).data.login.token));
      const screenAt = started[started.length - 1];
      const screen = (await gql(screenAt, 'mutation { login(username: "screen", password: "demo") { token } }')).data.login.token;
      const counties = (await sql.query("select code from region where parent_code = '330300' and level = 'COUNTY' order by code")).rows.map((r) => r.code);
      const received = [];
      const client = createClient({ url: screenAt.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${screen}` } });
      client.subscribe({ query: BOARD }, {
        next: ({ data }) => { const e = data?.boardEvents; if (e?.__typename === 'ProgressChanged' && e.indicator.code === 'P3-01' && e.region.code === '330300') received.push(e); },
        error: (e) => log(`subscription: ${JSON.stringify(e)}`), complete: () => undefined,
      });
      await until(async () => (await sql.query("select count(*)::int as n from board_watcher")).rows[0].n > 0, 'the screen to subscribe');
      const current = async () => (await sql.query('select not p.rebuild and p.last_folded >= s.last_fact_seq as current from projection_state p, outbox_sequence s')).rows[0].current;
      const latencies = [];
      let mismatches = 0;
      for (let burst = 1; burst <= BURSTS; burst++) {
        await Promise.all(counties.map(async (region, i) => {
          const at = started[i % started.length];
          const sent = performance.now();
          const res = await gql(at, SUBMIT, { input: { indicator: 'P3-01', region, value: burst * 10 + (i % 7), asOf: '2019-06-30' } }, tokens[i % started.length]);
          latencies.push(performance.now() - sent);
          if (res.errors) throw new Error(JSON.stringify(res.errors));
        }));
        await until(current, 'the projection to fold the burst');
        const { rows: [{ seq }] } = await sql.query(`select max(seq)::text as seq from outbox_event where type = 'ProgressChanged' and region_code = '330300'
          and (payload->>'indicatorId')::int = (select id from indicator where code = 'P3-01')`);
        await until(() => received.some((e) => e.cursor === seq), `the screen to receive ${seq}`);
        const fresh = (await gql(screenAt, PROGRESS, {}, screen)).data.indicator.progress;
        if (JSON.stringify(received.at(-1).progress) !== JSON.stringify(fresh)) mismatches += 1;
      }
      await client.dispose();
      await sql.end();
      for (const s of started) { await s.stop(); servers.splice(servers.indexOf(s), 1); }
      const sorted = [...latencies].sort((a, b) => a - b);
      const row = { bus, instances, bursts: BURSTS, mismatches, writeP50Ms: Math.round(percentile(sorted, 50)), writeP99Ms: Math.round(percentile(sorted, 99)) };
      log(JSON.stringify(row));
      results.push(row);
    }
  }
  await writeFile(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), settings: { bursts: BURSTS }, results }, null, 2)}\n`);
  console.log('| bus | instances | bursts | mismatches | submitFigure p50 | p99 |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.bus} | ${r.instances} | ${r.bursts} | ${r.mismatches} | ${r.writeP50Ms} ms | ${r.writeP99Ms} ms |`);
} finally {
  await stopAll();
}
