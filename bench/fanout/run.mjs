/**
 * The live-board fan-out benchmark (npm run bench:fanout): N boards subscribed to the contract's
 * boardEvents (test/contract/board-events.graphql, P3 at 330300, as the meeting-room account
 * `screen`), one real submitFigure a second, and how long each event takes to reach every board;
 * beside it, the same fan-out from a bare `ws` server (broadcast-server.mjs), the physical limit.
 *
 * For each N (BENCH_FANOUT_N, "1000,5000"), in this order, each server in a fresh process:
 *
 *   1. Duban (node dist/src/main.js, DUBAN_DEMO=on, NODE_ENV=production) on an embedded PostgreSQL,
 *      the subscribers on its WebSocket (graphql-transport-ws);
 *   2. the bare broadcast server, sending messages of the size of Duban's ProgressChanged, as many
 *      per trigger as Duban sends per submission (two: the county's event, then the city's);
 *   3. at the N of BENCH_FANOUT_SSE_N ("1000"; "off": none), Duban again with the same subscription
 *      over Server-Sent Events (/graphql/stream, graphql-sse, one HTTP stream each).
 *
 * Per server and N: connect time (every subscription acknowledged, or every stream's response),
 * RSS per idle subscription, latency (below), receipts missing or repeated, and CPU per event and
 * per delivered message: (server CPU per event with the subscribers − without any) / messages
 * delivered per event (two per subscriber for both: Duban's county and city events, the bare server's two messages).
 *
 * Subscribers live in BENCH_FANOUT_CLIENTS (2) child processes (subscribers.mjs), connected
 * BENCH_FANOUT_BATCH (250) at a time; then a warm-up event (repeated every few seconds until every
 * subscriber got one: only then is every subscription known to be live); server RSS before and
 * after (idle) gives the memory per subscription; then BENCH_FANOUT_DURATION (20) submissions, one
 * a second, each a real submitFigure over HTTP (lucheng, P3-01 at 330302, increasing values).
 *
 * Latency, wall clock in both processes (one machine), to each subscriber's receipt of each event,
 * from (the first is the one reported; all are in the JSON):
 *   Duban  commit:   this process's receipt of the NOTIFY Duban sends on its bus right after the
 *                    submission's commit (LISTEN duban_events);
 *          write:    the event's own `at` (taken in the writer's transaction, just before commit);
 *          response: this process's receipt of the mutation's HTTP response. Duban answers only
 *                    after re-reading the region's progress, and on the event loop that also does
 *                    the fan-out: events often arrive before it (negative), so it is no reference.
 *   bare   trigger:  this process sending the POST that makes the server broadcast.
 *
 * Env: BENCH_FANOUT_N, BENCH_FANOUT_DURATION, BENCH_FANOUT_CLIENTS, BENCH_FANOUT_BATCH,
 * BENCH_FANOUT_BATCH_PAUSE_MS (50), BENCH_FANOUT_CONNECT_TIMEOUT (s, 180: connecting + warm-up),
 * BENCH_FANOUT_DRAIN_TIMEOUT (s, 30: after the last submission), BENCH_FANOUT_PROFILE (off; on:
 * Duban runs with --inspect: a CPU profile of the measured window and a sampling heap profile of the connect phase,
 * summed up; it costs some CPU and memory, so its run is not the one to quote for latency; BENCH_FANOUT_PROFILE_FILE:
 * where to write the whole CPU profile as well), BENCH_FANOUT_SKIP_BARE (off),
 * BENCH_FANOUT_SSE_N (1000: the N at which SSE is measured too; off: nowhere),
 * BENCH_FANOUT_CALIBRATE (5: events sent before any subscriber, for the server's CPU per event alone),
 * BENCH_FANOUT_OUT (the JSON written; default bench/fanout/results.json),
 * BENCH_DATABASE_URL (an admin URL of an external PostgreSQL; default an embedded one in a temp dir).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startCpuMeter } from '../board/cpu.mjs';
import { openDatabase } from '../database.mjs';
import { number } from '../env.mjs';
import { split, startSubscriberProcess } from './clients.mjs';
import { compare, DUBAN_SSE, judge, summaryLines, table } from './summary.mjs';
import { COUNTY, createTargets, now } from './targets.mjs';

const require = createRequire(import.meta.url);
const RESULTS = process.env.BENCH_FANOUT_OUT || fileURLToPath(new URL('./results.json', import.meta.url));
const SUBSCRIPTION = readFileSync(fileURLToPath(new URL('../../test/contract/board-events.graphql', import.meta.url)), 'utf8');
const VARIABLES = { programme: 'P3', region: '330300' };

const flag = (name, fallback) => !/^(0|off|false|no)$/i.test(process.env[name] ?? (fallback ? 'on' : 'off'));
const settings = {
  subscribers: (process.env.BENCH_FANOUT_N || '1000,5000').split(',').map((s) => Number(s.trim())),
  sse: /^(off|no|0|false)$/i.test(process.env.BENCH_FANOUT_SSE_N ?? '') ? [] : (process.env.BENCH_FANOUT_SSE_N || '1000').split(',').map((s) => Number(s.trim())),
  durationSeconds: number('BENCH_FANOUT_DURATION', 20),
  clientProcesses: number('BENCH_FANOUT_CLIENTS', 2),
  batch: number('BENCH_FANOUT_BATCH', 250),
  batchPauseMs: number('BENCH_FANOUT_BATCH_PAUSE_MS', 50),
  connectTimeoutSeconds: number('BENCH_FANOUT_CONNECT_TIMEOUT', 180),
  drainTimeoutSeconds: number('BENCH_FANOUT_DRAIN_TIMEOUT', 30),
  calibrationEvents: number('BENCH_FANOUT_CALIBRATE', 5),
  profile: flag('BENCH_FANOUT_PROFILE', false),
  bare: !flag('BENCH_FANOUT_SKIP_BARE', false),
};
if (settings.subscribers.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('BENCH_FANOUT_N: a list of positive integers, like 1000,5000');

const began = Date.now();
const log = (line) => console.error(`[bench +${((Date.now() - began) / 1000).toFixed(0)}s] ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** VmRSS and RssAnon of `pid`, in KB. */
function memory(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), anonKb: field('RssAnon') };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The median of `count` samples, `gapMs` apart. */
async function sampleMemory(pid, count = 5, gapMs = 500) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    if (i) await sleep(gapMs);
    samples.push(memory(pid));
  }
  return { rssKb: median(samples.map((s) => s.rssKb)), anonKb: median(samples.map((s) => s.anonKb)), samples: samples.map((s) => s.rssKb) };
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function stats(values) {
  const sorted = Float64Array.from(values).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  const round = (v) => (v == null ? null : Math.round(v * 10) / 10);
  return {
    count: sorted.length, p50: round(percentile(sorted, 0.5)), p90: round(percentile(sorted, 0.9)), p99: round(percentile(sorted, 0.99)),
    max: round(sorted[sorted.length - 1] ?? null), min: round(sorted[0] ?? null), mean: round(sorted.length ? sum / sorted.length : null),
  };
}

/** Sums the subscriber processes' status. */
async function status(clients, atLeast) {
  const all = await Promise.all(clients.map((c) => c.call('status', { atLeast })));
  const sum = (k) => all.reduce((a, s) => a + s[k], 0);
  const closeCodes = {};
  const otherTypes = {};
  for (const s of all) {
    for (const [code, n] of Object.entries(s.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + n;
    for (const [type, n] of Object.entries(s.otherTypes)) otherTypes[type] = (otherTypes[type] ?? 0) + n;
  }
  return {
    sockets: sum('sockets'), open: sum('open'), acked: sum('acked'), subscribed: sum('subscribed'), reached: sum('reached'), closed: sum('closed'),
    otherEvents: sum('otherEvents'), otherEventsSinceMark: sum('otherEventsSinceMark'), unexpected: sum('unexpected'), cpuMsSinceMark: sum('cpuMsSinceMark'),
    closeCodes, otherTypes, errors: all.flatMap((s) => s.errors).slice(0, 10),
  };
}

/** Resolves with the last status once `done(status)` holds or `deadline` (wall ms) passes. */
async function waitFor(clients, atLeast, done, deadline, everyMs = 250) {
  for (;;) {
    const s = await status(clients, atLeast);
    if (done(s) || now() > deadline) return s;
    await sleep(everyMs);
  }
}

/**
 * One target at one N: connect, warm up until every subscriber is live, memory, then the measured
 * submissions and their receipts. `target` brings start(), fire(item) -> t0, parts, protocol.
 */
async function measure(target, n, nextItem, cleanup) {
  const result = { name: target.name, subscribers: n, problems: [] };
  const server = await target.start();
  cleanup.push(() => server.stop());
  const clients = [];
  try {
    // With no subscriber: what one event costs the server by itself (for Duban, the mutation).
    const calibration = startCpuMeter({ server: server.pid, postmaster: target.postmaster ?? null });
    const calibrationStart = now();
    for (let i = 0; i < settings.calibrationEvents; i++) {
      const wait = calibrationStart + i * 1000 - now();
      if (wait > 0) await sleep(wait);
      await target.fire(nextItem());
    }
    await sleep(500);
    const alone = calibration.stop();
    result.cpuMsPerEventAlone = alone && {
      server: alone.serverMs / settings.calibrationEvents, postgres: alone.postgresMs == null ? null : alone.postgresMs / settings.calibrationEvents,
    };
    await sleep(2_000);
    const before = await sampleMemory(server.pid);
    log(`${target.name} N=${n}: RSS before ${(before.rssKb / 1024).toFixed(1)} MB; connecting`);
    await target.beforeConnect?.();

    for (let i = 0; i < settings.clientProcesses; i++) {
      const c = startSubscriberProcess(`subscribers-${i + 1}`);
      clients.push(c);
      cleanup.push(() => c.stop());
    }
    const connectStart = now();
    const deadline = connectStart + settings.connectTimeoutSeconds * 1000;
    const shares = split(n, clients.length);
    const connect = Promise.all(clients.map((c, i) => c.call('connect', {
      url: target.protocol === 'sse' ? server.sseUrl : server.wsUrl, count: shares[i], batch: Math.max(1, Math.round(settings.batch / clients.length)), pauseMs: settings.batchPauseMs,
      authorization: server.authorization, query: SUBSCRIPTION, variables: VARIABLES, timeoutMs: 60_000, protocol: target.protocol,
    })));
    const connected = await Promise.race([connect, sleep(settings.connectTimeoutSeconds * 1000).then(() => null)]);
    result.connectSeconds = (now() - connectStart) / 1000;
    const ready = connected ? connected.reduce((a, c) => a + c.ready, 0) : (await status(clients)).subscribed;
    result.connected = ready;
    if (ready < n) result.problems.push(`only ${ready} of ${n} ${target.protocol === 'sse' ? 'streams answered' : `sockets ${target.protocol === 'graphql' ? 'acknowledged and subscribed' : 'open'}`} after ${result.connectSeconds.toFixed(1)} s`);
    log(`${target.name} N=${n}: ${ready} ready in ${result.connectSeconds.toFixed(1)} s; warming up`);

    // Warm-up: an event every few seconds until every open subscriber got one.
    const warmStart = now();
    const firstWarm = nextItem.peek();
    let s;
    let warmEvents = 0;
    do {
      await target.fire(nextItem());
      warmEvents++;
      s = await waitFor(clients, firstWarm, (x) => x.reached >= x.sockets - x.closed, Math.min(deadline, now() + 5_000));
      log(`${target.name} N=${n}: warm-up ${warmEvents}: ${s.reached}/${s.sockets - s.closed} live (${s.closed} closed, ${s.otherEvents} other events so far)`);
    } while (s.reached < s.sockets - s.closed && now() < deadline);
    result.warmupSeconds = (now() - warmStart) / 1000;
    result.warmupEvents = warmEvents;
    result.live = s.reached;
    result.otherEventsPerSubscriberWhileConnecting = s.otherEvents / n;
    if (s.reached < n) result.problems.push(`only ${s.reached} of ${n} subscribers received the warm-up event within the connect timeout (${settings.connectTimeoutSeconds} s)`);

    await sleep(3_000);
    const after = await sampleMemory(server.pid);
    await target.afterIdle?.();
    result.memory = {
      beforeRssKb: before.rssKb, afterRssKb: after.rssKb, afterSamplesKb: after.samples,
      kbPerSubscription: (after.rssKb - before.rssKb) / n, anonKbPerSubscription: (after.anonKb - before.anonKb) / n,
    };
    const sizes = await clients[0].call('sizes');
    result.messageBytes = target.protocol === 'bare' ? { message: sizes.county } : { county: sizes.county, city: sizes.city };
    log(`${target.name} N=${n}: RSS after ${(after.rssKb / 1024).toFixed(1)} MB = ${result.memory.kbPerSubscription.toFixed(1)} KB per subscription; measuring ${settings.durationSeconds} s`);

    // The measured window: one event a second.
    await Promise.all(clients.map((c) => c.call('mark')));
    await target.beginWindow?.();
    const meter = startCpuMeter({ server: server.pid, postmaster: target.postmaster ?? null });
    const t0 = new Map();
    const fireMs = [];
    const windowStart = now();
    result.window = { from: windowStart };
    for (let i = 0; i < settings.durationSeconds; i++) {
      const wait = windowStart + i * 1000 - now();
      if (wait > 0) await sleep(wait);
      const item = nextItem();
      const sent = now();
      const at = await target.fire(item);
      t0.set(item, at);
      fireMs.push(now() - sent);
    }
    const items = [...t0.keys()];
    const last = items[items.length - 1];
    const drained = await waitFor(clients, last, (x) => x.reached >= x.sockets - x.closed, now() + settings.drainTimeoutSeconds * 1000, 100);
    result.window.to = now();
    const cpu = meter.stop();
    await target.endWindow?.();
    result.fireMs = stats(fireMs);
    result.cpuMsPerEvent = cpu && {
      server: cpu.serverMs / items.length, postgres: cpu.postgresMs == null ? null : cpu.postgresMs / items.length, parent: cpu.loadGeneratorMs / items.length,
      subscriberProcesses: drained.cpuMsSinceMark / items.length,
    };
    // What delivering costs the server, per message: the event's own cost (the mutation, the trigger) left out.
    const delivered = target.parts.length * (drained.sockets - drained.closed);
    result.cpuUsPerMessage = cpu && result.cpuMsPerEventAlone && delivered > 0
      ? ((result.cpuMsPerEvent.server - result.cpuMsPerEventAlone.server) * 1000) / delivered : null;

    const collected = (await Promise.all(clients.map((c) => c.call('collect', { items, parts: target.parts })))).flat();
    // t0 of each item, by reference (the first is the one reported): see target.references.
    const references = target.references(t0, collected);
    const [primary] = Object.keys(references);
    const latencies = Object.fromEntries(Object.keys(references).map((r) => [r, []]));
    const byPart = Object.fromEntries(target.parts.map((p) => [p, []]));
    let missing = 0;
    let duplicates = 0;
    let unreferenced = 0;
    for (const entry of collected) {
      missing += entry.missing;
      duplicates += entry.duplicates;
      for (const [name, starts] of Object.entries(references)) {
        const start = starts.get(entry.item);
        if (start === undefined) { if (name === primary) unreferenced += entry.times.length; continue; }
        for (const t of entry.times) {
          latencies[name].push(t - start);
          if (name === primary) byPart[entry.part].push(t - start);
        }
      }
    }
    result.events = items.length;
    result.expectedReceipts = items.length * target.parts.length * n;
    result.receipts = collected.reduce((a, e) => a + e.times.length, 0);
    result.missing = missing;
    result.duplicates = duplicates;
    result.latencyReference = primary;
    result.latencyMs = stats(latencies[primary]);
    result.latencyMsFrom = Object.fromEntries(Object.entries(latencies).map(([r, v]) => [r, stats(v)]));
    result.latencyMsByPart = Object.fromEntries(Object.entries(byPart).map(([p, v]) => [p, stats(v)]));
    if (unreferenced) result.problems.push(`${unreferenced} receipts without a ${primary} time`);
    result.closed = drained.closed;
    result.closeCodes = drained.closeCodes;
    result.otherEventsPerSubscriberInWindow = drained.otherEventsSinceMark / n;
    result.otherEventTypes = drained.otherTypes;
    result.clientErrors = drained.errors;
    if (missing) result.problems.push(`${missing} receipts missing`);
    if (duplicates) result.problems.push(`${duplicates} duplicate receipts`);
    if (drained.closed) result.problems.push(`${drained.closed} sockets closed (${JSON.stringify(drained.closeCodes)})`);
    if (drained.unexpected) result.problems.push(`${drained.unexpected} unexpected events`);
    log(`${target.name} N=${n}: p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, missing ${missing}, duplicates ${duplicates}`);
  } catch (error) {
    result.problems.push(`failed: ${error.message}`);
    log(`${target.name} N=${n}: FAILED: ${error.message}\n${server.output()}`);
  } finally {
    const stoppedAt = now();
    await server.stop();
    result.stopSeconds = (now() - stoppedAt) / 1000;
    // What the server said while stopping (Duban: "shutdown took too long", presence errors, …).
    result.serverLog = server.output().split('\n').filter((l) => /error|too long|exit|fail|shutting/i.test(l)).slice(-5);
    for (const c of clients) await c.call('close').catch(() => undefined);
    await Promise.all(clients.map((c) => c.stop()));
  }
  if (target.afterStop) result.profile = await target.afterStop(result);
  return result;
}

async function main() {
  const cleanup = [];
  const runCleanup = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch((e) => log(`cleanup: ${e.message}`));
  };
  process.once('SIGINT', () => { log('interrupted'); void runCleanup().then(() => process.exit(130)); });

  try {
    const { ensureDatabase } = require('../../dist/src/db/database.js');
    const database = await openDatabase(cleanup, log);
    await ensureDatabase(database.adminUrl, 'duban_fanout');
    const url = database.urlOf('duban_fanout');
    const jwtSecret = randomBytes(24).toString('hex');

    // Submitted values (and bare sequence numbers): increasing over the whole run, never the demo's.
    let counter = 1000;
    const nextItem = Object.assign(() => ++counter, { peek: () => counter + 1 });

    let messageBytes = null;
    const { duban, bare } = createTargets({ url, jwtSecret, postmaster: database.postmaster, profile: settings.profile, log, messageBytes: () => messageBytes });
    const dubanSse = { ...duban, name: DUBAN_SSE, protocol: 'sse' };
    const results = [];
    for (const n of settings.subscribers) {
      log(`— N = ${n} —`);
      const d = await measure(duban, n, nextItem, cleanup);
      results.push(d);
      if (d.messageBytes?.county && d.messageBytes?.city) messageBytes = Math.round((d.messageBytes.county + d.messageBytes.city) / 2);
      if (settings.bare) {
        if (!messageBytes) { messageBytes = 250; log('no ProgressChanged message seen: the bare baseline sends 250 bytes'); }
        results.push(await measure(bare, n, nextItem, cleanup));
      }
      if (settings.sse.includes(n)) results.push(await measure(dubanSse, n, nextItem, cleanup));
    }

    const comparisons = compare(results);
    const goals = judge(results, comparisons);

    const cpu = cpus();
    const report = {
      date: new Date().toISOString(),
      subscription: { file: 'test/contract/board-events.graphql', variables: VARIABLES, account: 'screen' },
      submission: { account: 'lucheng', input: { indicator: 'P3-01', region: COUNTY, asOf: '2019-06-30', value: 'increasing from 1001' } },
      machine: { cpus: cpu.length, model: cpu[0]?.model, node: process.version, loadavgAtEnd: loadavg(), database: database.embedded ? 'embedded' : 'BENCH_DATABASE_URL' },
      settings,
      results,
      comparisons,
      goals,
    };
    await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);

    console.log(`\nBoard fan-out: boardEvents P3 at 330300 (account screen), one submitFigure a second for ${settings.durationSeconds} s; `
      + `${cpu.length} CPUs, Node ${process.version}; subscribers in ${settings.clientProcesses} processes\n`);
    console.log(table(results));
    for (const line of summaryLines(comparisons, goals)) console.log(line);
    for (const r of results) if (r.problems.length) console.log(`\n${r.name} N=${r.subscribers}: ${r.problems.join('; ')}`);
    for (const r of results) {
      if (!r.profile) continue;
      const pct = (x) => `${(100 * x.share).toFixed(1).padStart(5)} %`;
      const { cpu: c, heap } = r.profile;
      if (c) {
        console.log(`\nCPU profile of Duban at N=${r.subscribers}, the measured window (${c.busyMs} ms busy of ${c.wallMs} ms, main thread), self time by origin:`);
        for (const g of c.groups.slice(0, 12)) console.log(`  ${pct(g)}  ${g.name}`);
        console.log('  inclusive (a frame and what it calls synchronously; async continuations are not counted):');
        for (const g of c.inclusive) console.log(`  ${pct(g)}  ${g.name}`);
        console.log('  top functions (self time):');
        for (const fn of c.functions.slice(0, 12)) console.log(`  ${pct(fn)}  ${fn.name}`);
      }
      if (heap) {
        console.log(`\nHeap of Duban at N=${r.subscribers}: live objects allocated while connecting and warming up (sampled): ${(heap.liveKb / 1024).toFixed(1)} MB = ${(heap.liveKb / r.subscribers).toFixed(1)} KB per subscription; by the nearest Duban frame:`);
        for (const g of heap.byNearestDubanFrame.slice(0, 12)) console.log(`  ${pct(g)}  ${String(g.kb).padStart(7)} KB  ${g.name}`);
        console.log('  by allocating function:');
        for (const g of heap.byAllocatingFunction.slice(0, 12)) console.log(`  ${pct(g)}  ${String(g.kb).padStart(7)} KB  ${g.name}`);
      }
    }
    console.log(`\nWritten to ${RESULTS}`);
    if (results.some((r) => r.missing || r.duplicates || r.problems.some((p) => p.startsWith('failed')))) process.exitCode = 1;
  } finally {
    await runCleanup();
  }
}

main().catch((error) => {
  console.error(`[bench] FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
});
