/**
 * What an idle boardEvents subscription holds on the server (node bench/fanout/heap.mjs, after
 * npm run build): Duban in a child process (DUBAN_DEMO=on, NODE_ENV=production, started with
 * --heapsnapshot-signal), a heap snapshot before any subscriber and one with BENCH_HEAP_N (1000)
 * subscribers connected (the contract's boardEvents, P3 at 330300, as `screen`, through
 * subscribers.mjs) and one event delivered to each; then the objects that came between the two,
 * by constructor (or closure name), in count and bytes per subscription, and the RSS per subscription.
 *
 * Env: BENCH_HEAP_N (1000), BENCH_HEAP_PROTOCOL (graphql; sse: over Server-Sent Events), BENCH_HEAP_TOP (40 rows), BENCH_HEAP_SETTLE (0: seconds of RSS samples while idle), BENCH_HEAP_KEEP (off: the snapshots are
 * deleted afterwards), BENCH_DATABASE_URL (else an embedded PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../board/processes.mjs';
import { openDatabase } from '../database.mjs';
import { number } from '../env.mjs';
import { post } from '../lifecycle.mjs';
import { startSubscriberProcess } from './clients.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SUBSCRIPTION = readFileSync(join(ROOT, 'test/contract/board-events.graphql'), 'utf8');
const LOGIN = 'mutation ($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';
const SUBMIT = 'mutation ($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
const N = number('BENCH_HEAP_N', 1000);
/** BENCH_HEAP_PROTOCOL=sse: the subscriptions over Server-Sent Events (/graphql/stream) instead of the WebSocket. */
const SSE = process.env.BENCH_HEAP_PROTOCOL === 'sse';
const TOP = number('BENCH_HEAP_TOP', 40);
const SETTLE_S = Number(process.env.BENCH_HEAP_SETTLE ?? 0);
const KEEP = /^(1|on|true|yes)$/i.test(process.env.BENCH_HEAP_KEEP ?? '');
const log = (line) => console.error(`[heap] ${line}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

/** The V8 heap and RSS as the server's /metrics has them, in MB: RSS, heap total and used, external, and per space (used/size). */
async function heapMetrics(metricsUrl) {
  const text = await fetch(metricsUrl).then((r) => r.text());
  const mb = (re) => Number(re.exec(text)?.[1] ?? NaN) / 2 ** 20;
  const spaces = {};
  for (const m of text.matchAll(/^duban_nodejs_heap_space_size_(used|total)_bytes\{space="(\w+)"\} (\S+)/gm)) {
    (spaces[m[2]] ??= {})[m[1]] = Math.round(Number(m[3]) / 2 ** 20);
  }
  return {
    rss: mb(/^duban_process_resident_memory_bytes (\S+)/m), heapTotal: mb(/^duban_nodejs_heap_size_total_bytes (\S+)/m),
    heapUsed: mb(/^duban_nodejs_heap_size_used_bytes (\S+)/m), external: mb(/^duban_nodejs_external_memory_bytes (\S+)/m), spaces,
  };
}

/** Signals the server and waits for the new snapshot file in `dir` (complete once the server answers again: it is written on its main thread). */
async function snapshot(pid, dir, health) {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 1200; i++) {
    await sleep(250);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file) {
      // A kept-alive socket may have been closed meanwhile: ask again.
      for (let t = 0; ; t++) { try { await fetch(health).then((r) => r.text()); break; } catch (error) { if (t > 5) throw error; } }
      return join(dir, file);
    }
  }
  throw new Error('no heap snapshot written');
}

/** Count and self size of the objects in a snapshot, by type and constructor (closures by their function's name). */
async function census(file) {
  const chunks = [];
  for await (const chunk of createReadStream(file)) chunks.push(chunk);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]];
    let name = snap.strings[nodes[i + iName]];
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(string)';
    else if (type === 'number') name = '(number)';
    else if (type === 'code') name = `(code) ${name.slice(0, 50)}`;
    else if (type === 'hidden' || type === 'array') name = `${type} ${name.length > 60 ? `${name.slice(0, 60)}…` : name}`;
    const key = `${type}\t${name}`;
    const entry = out.get(key) ?? out.set(key, { count: 0, bytes: 0 }).get(key);
    entry.count += 1;
    entry.bytes += nodes[i + iSize];
  }
  return out;
}

async function main() {
  const cleanup = [];
  const stop = async () => { for (const step of cleanup.splice(0).reverse()) await step().catch((e) => log(`cleanup: ${e.message}`)); };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const dir = await mkdtemp(join(tmpdir(), 'duban-heap-'));
    cleanup.push(() => (KEEP ? Promise.resolve(log(`snapshots kept in ${dir}`)) : rm(dir, { recursive: true, force: true })));
    const database = await openDatabase(cleanup, log);
    const { ensureDatabase } = require('../../dist/src/db/database.js');
    const { freePort } = require('../../dist/src/db/embedded.js');
    await ensureDatabase(database.adminUrl, 'duban_heap');
    const server = await startServer({
      name: 'duban', cwd: ROOT, ready: /API \(HTTP\):\s+(\S+)/,
      args: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`, 'dist/src/main.js'],
      env: {
        DATABASE_URL: database.urlOf('duban_heap'), JWT_SECRET: randomBytes(24).toString('hex'), PORT: String(await freePort()), HOST: '127.0.0.1',
        DUBAN_DEMO: 'on', NODE_ENV: 'production', DUBAN_WS_MAX_QUEUED_EVENTS: '100000',
        // Every subscriber is the demo's one screen account: its starts are not to be bounded as one user's operations.
        DUBAN_MAX_IN_FLIGHT_PER_USER: '10000',
      },
    });
    cleanup.push(() => server.stop());
    const token = async (username) => JSON.parse(await post(server.url, { query: LOGIN, variables: { username, password: 'demo' } })).data.login.token;
    const screen = await token('screen');
    const lucheng = await token('lucheng');
    let value = 5000;
    const submit = () => post(server.url, { query: SUBMIT, variables: { input: { indicator: 'P3-01', region: '330302', value: ++value, asOf: '2019-06-30' } } }, { authorization: `Bearer ${lucheng}` });

    // One subscriber first, served and gone: what the first subscription loads once is in both snapshots.
    const client = startSubscriberProcess('subscribers');
    cleanup.push(() => client.stop());
    const request = { url: SSE ? `${server.url}/stream` : server.url.replace(/^http/, 'ws'), authorization: `Bearer ${screen}`, query: SUBSCRIPTION,
      variables: { programme: 'P3', region: '330300' }, timeoutMs: 60_000, protocol: SSE ? 'sse' : 'graphql' };
    await client.call('connect', { ...request, count: 1, batch: 1, pauseMs: 0 });
    await submit();
    await sleep(2000);
    await client.call('close');
    await sleep(3000);
        const health = server.url.replace(/\/graphql$/, '/healthz');
    const before = await snapshot(server.pid, dir, health);
    await sleep(2000);
    const rssBaseline = rssKb(server.pid);
    const metricsUrl = server.url.replace(/\/graphql$/, '/metrics');
    const heapBefore = await heapMetrics(metricsUrl);
    log(`before: RSS ${(rssBaseline / 1024).toFixed(1)} MB; connecting ${N}`);

    const started = Date.now();
    const { ready } = await client.call('connect', { ...request, count: N, batch: 125, pauseMs: 0 });
    const connectMs = Date.now() - started;
    log(`${ready} of ${N} subscribed in ${(connectMs / 1000).toFixed(1)} s`);
    await submit();
    const target = value;
    for (let i = 0; i < 120; i++) {
      const s = await client.call('status', { atLeast: target });
      if (s.reached >= ready) break;
      await sleep(500);
    }
    const status = await client.call('status', { atLeast: target });
    log(`${status.reached} of ${status.sockets} got the event; ${status.closed} closed; errors: ${JSON.stringify(status.errors.slice(0, 3))}`);
    // RSS as it settles while idle (V8's memory reducer collects after the allocation rate drops).
    const settle = [];
    for (let i = 0; i < SETTLE_S / 5; i++) {
      await sleep(5000);
      settle.push(Math.round((rssKb(server.pid) - rssBaseline) / N));
    }
    if (settle.length) log(`RSS per subscription every 5 s while idle: ${settle.join(', ')} KB`);
    await sleep(3000);
    const rssAfter = rssKb(server.pid);
    const heapAfter = await heapMetrics(metricsUrl);
    const after = await snapshot(server.pid, dir, health);
    const heapAfterGc = await heapMetrics(metricsUrl);
    const per = (k) => `${(((heapAfter[k] - heapBefore[k]) * 1024) / N).toFixed(1)} KB`;
    log(`per subscription (idle, before the snapshot's GC): RSS ${per('rss')}, heap total ${per('heapTotal')}, heap used ${per('heapUsed')}, external ${per('external')}`);
    log(`spaces (MB used/total) before ${JSON.stringify(heapBefore.spaces)}\n  after ${JSON.stringify(heapAfter.spaces)}\n  after the snapshot's GC ${JSON.stringify(heapAfterGc.spaces)}`);
    log(`after: RSS ${(rssAfter / 1024).toFixed(1)} MB = ${((rssAfter - rssBaseline) / N).toFixed(1)} KB per subscription; reading the snapshots`);

    const [a, b] = [await census(before), await census(after)];
    const rows = [];
    let total = 0;
    for (const [key, e] of b) {
      const was = a.get(key) ?? { count: 0, bytes: 0 };
      const bytes = e.bytes - was.bytes;
      total += bytes;
      rows.push({ key, count: e.count - was.count, bytes });
    }
    rows.sort((x, y) => y.bytes - x.bytes);
    console.log(`\n${N} idle boardEvents subscriptions: connected in ${(connectMs / 1000).toFixed(1)} s; RSS +${((rssAfter - rssBaseline) / N).toFixed(1)} KB per subscription; heap objects +${(total / N / 1024).toFixed(1)} KB per subscription\n`);
    console.log('| type | constructor / name | objects per sub | bytes per sub |');
    console.log('| --- | --- | ---: | ---: |');
    for (const r of rows.slice(0, TOP)) {
      const [type, name] = r.key.split('\t');
      console.log(`| ${type} | ${name.replace(/\|/g, '\\|')} | ${(r.count / N).toFixed(2)} | ${Math.round(r.bytes / N)} |`);
    }
  } finally {
    await stop();
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
