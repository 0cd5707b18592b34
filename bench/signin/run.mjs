/**
 * Sign-in under attack (npm run bench:signin): how long another user's sign-in takes while one
 * account receives a burst of wrong passwords, beside the same sign-in without the burst.
 *
 * One Duban (node dist/src/main.js, the demo, NODE_ENV=production) on its own database. Every
 * sign-in is a `login` over HTTP; the attacker's come from 127.0.0.1, the other user's (`admin`,
 * the right password) from 127.0.0.2, so that the address limit of the attacker is not its.
 *   1. Baseline: BENCH_SIGNIN_BASELINE (30) sign-ins of `admin`, one after the other.
 *   2. Burst: BENCH_SIGNIN_ROUNDS (20) rounds. Each sends BENCH_SIGNIN_BURST (200) wrong passwords
 *      for `yanglao` at once and, 0, 50, 150 or 300 ms later (in turn), one sign-in of `admin`;
 *      the round ends when every answer is in. Between rounds the failures are deleted, as the
 *      window passing would, so every round meets an account not yet at its limit.
 *   3. Spread (what the per-account turns cannot help): BENCH_SIGNIN_SPREAD_ROUNDS (2) rounds of
 *      the same burst, each wrong password for another unknown username from another address
 *      (127.0.1.x), with the other user's sign-in as in 2.
 * Latency: send → answer, ms; the server's CPU (user + system, /proc) per baseline sign-in and per
 * round. Results to stdout and bench/signin/results.json.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startServer } from '../board/processes.mjs';
import { openDatabase, percentile } from '../database.mjs';
import { number } from '../env.mjs';
import { lifecycle } from '../lifecycle.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const LOGIN = 'mutation Login($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';
const OFFSETS_MS = [0, 50, 150, 300];

const settings = {
  baseline: number('BENCH_SIGNIN_BASELINE', 30),
  rounds: number('BENCH_SIGNIN_ROUNDS', 20),
  burst: number('BENCH_SIGNIN_BURST', 200),
  spreadRounds: number('BENCH_SIGNIN_SPREAD_ROUNDS', 2),
};
const log = (line) => console.error(`[signin] ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (values) => {
  const sorted = Float64Array.from(values).sort();
  const r = (v) => (v == null ? null : Math.round(v));
  return { count: sorted.length, p50: r(percentile(sorted, 50)), p90: r(percentile(sorted, 90)), p99: r(percentile(sorted, 99)), max: r(sorted[sorted.length - 1] ?? null) };
};

/** One `login` from `localAddress`: its latency and its answer's code (OK, or the first error's). */
function signIn(url, username, password, localAddress) {
  const body = JSON.stringify({ query: LOGIN, variables: { username, password } });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - started;
        try {
          const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          const error = json.errors?.[0];
          resolve({ ms, code: error ? String(error.extensions?.code) : 'OK', retryAfter: error?.extensions?.retryAfterSeconds });
        } catch (e) {
          reject(new Error(`login ${username}: HTTP ${res.statusCode}: ${e.message}`));
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU time (user + system) of a process so far, in ms. */
async function cpuMs(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks (1/100 s)
}

const tally = (answers) => answers.reduce((t, a) => {
  const key = a.code === 'RATE_LIMITED' ? (a.retryAfter === 1 ? 'RATE_LIMITED (queue full)' : 'RATE_LIMITED (failures)') : a.code;
  return { ...t, [key]: (t[key] ?? 0) + 1 };
}, {});

/** Rounds of a burst with the other user's sign-in in each; `burstOf(round, i)` is [username, address]. */
async function rounds(url, pid, count, burstOf, reset) {
  const cpuBefore = await cpuMs(pid);
  const latencies = [];
  const tallies = [];
  const burstMs = [];
  let otherRefused = 0;
  for (let round = 0; round < count; round++) {
    await reset();
    const started = performance.now();
    const burst = Promise.all(Array.from({ length: settings.burst }, (_, i) => {
      const [username, address] = burstOf(round, i);
      return signIn(url, username, `guess-${round}-${i}`, address);
    }));
    await sleep(OFFSETS_MS[round % OFFSETS_MS.length]);
    const other = await signIn(url, 'admin', 'demo', '127.0.0.2');
    const answers = await burst;
    burstMs.push(performance.now() - started);
    if (other.code !== 'OK') otherRefused++;
    else latencies.push(other.ms);
    tallies.push(tally(answers));
    log(`round ${round + 1}/${count}: admin ${other.code} in ${Math.round(other.ms)} ms; burst ${JSON.stringify(tallies.at(-1))} in ${Math.round(burstMs.at(-1))} ms`);
  }
  const total = tallies.reduce((t, x) => { for (const [k, v] of Object.entries(x)) t[k] = (t[k] ?? 0) + v; return t; }, {});
  const serverCpuMsPerRound = ((await cpuMs(pid)) - cpuBefore) / count;
  return { otherSignIn: stats(latencies), otherRefused, burstMs: stats(burstMs), serverCpuMsPerRound, answers: total, perRound: tallies };
}

async function main() {
  const { cleanup, servers, stopAll } = lifecycle(log);
  try {
    const { ensureDatabase } = require('../../dist/src/db/database.js');
    const { freePort } = require('../../dist/src/db/embedded.js');
    const database = await openDatabase(cleanup, log);
    const admin = new pg.Client({ connectionString: database.adminUrl });
    await admin.connect();
    await admin.query('drop database if exists duban_signin with (force)');
    await admin.end();
    await ensureDatabase(database.adminUrl, 'duban_signin');
    const url = database.urlOf('duban_signin');
    log('starting Duban (it migrates and loads the demo)');
    const duban = await startServer({
      name: 'duban', cwd: ROOT, args: ['dist/src/main.js'], ready: /API \(HTTP\):\s+(\S+)/,
      env: { NODE_ENV: 'production', DATABASE_URL: url, JWT_SECRET: randomBytes(24).toString('hex'), PORT: String(await freePort()), HOST: '127.0.0.1', DUBAN_DEMO: 'on' },
    });
    servers.push(duban);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    cleanup.push(() => db.end());
    const reset = async () => { await db.query('delete from login_attempt'); };

    // Warm-up: the server's first sign-ins (JIT, the pool's connections).
    for (let i = 0; i < 3; i++) await signIn(duban.url, 'admin', 'demo', '127.0.0.2');

    log(`baseline: ${settings.baseline} sign-ins of admin, one after the other`);
    const baselineCpu = await cpuMs(duban.pid);
    const baselineMs = [];
    for (let i = 0; i < settings.baseline; i++) {
      const a = await signIn(duban.url, 'admin', 'demo', '127.0.0.2');
      if (a.code !== 'OK') throw new Error(`baseline sign-in: ${a.code}`);
      baselineMs.push(a.ms);
    }
    const baseline = { ...stats(baselineMs), serverCpuMsPerSignIn: ((await cpuMs(duban.pid)) - baselineCpu) / settings.baseline };
    log(`baseline: ${JSON.stringify(baseline)}`);

    log(`burst: ${settings.rounds} rounds of ${settings.burst} wrong passwords for yanglao from 127.0.0.1`);
    const burst = await rounds(duban.url, duban.pid, settings.rounds, () => ['yanglao', '127.0.0.1'], reset);
    log(`spread: ${settings.spreadRounds} rounds of ${settings.burst} wrong passwords, each for another unknown user from another address`);
    const spread = await rounds(duban.url, duban.pid, settings.spreadRounds, (round, i) => [`intruder-${round}-${i}`, `127.0.1.${i + 1}`], reset);

    const ratio = (a, b) => (a == null || b == null ? null : a / b);
    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAverage: loadavg()[0] },
      settings: { ...settings, offsetsMs: OFFSETS_MS },
      baseline,
      burst,
      spread,
      ratios: {
        burstP50OverBaseline: ratio(burst.otherSignIn.p50, baseline.p50),
        burstP99OverBaseline: ratio(burst.otherSignIn.p99, baseline.p99),
        spreadP50OverBaseline: ratio(spread.otherSignIn.p50, baseline.p50),
      },
    };
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify({ baseline, burst: { ...burst, perRound: undefined }, spread: { ...spread, perRound: undefined }, ratios: results.ratios }, null, 2));
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  console.error(`[signin] FAILED: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
