/**
 * The servers the fan-out benchmark measures, each started in a fresh process by `start()`:
 * Duban (its WebSocket; with `protocol: 'sse'`, its event streams) and the bare `ws` broadcast.
 * `fire(item)` makes one event and resolves with its start time; `references` gives the times
 * latency is counted from (run.mjs describes them).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startServer } from '../board/processes.mjs';
import { connectProfiler, inspectorUrl, summariseHeap, summariseProfile } from './profile.mjs';
import { BARE, DUBAN } from './summary.mjs';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOGIN = 'mutation ($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';
const SUBMIT = 'mutation ($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }';
export const COUNTY = '330302';
export const CITY = '330300';
export const now = () => performance.timeOrigin + performance.now();

async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  const json = JSON.parse(text);
  if (json.errors) throw new Error(`${url}: ${JSON.stringify(json.errors).slice(0, 500)}`);
  return json.data;
}

/**
 * @param {{ url: string; jwtSecret: string; postmaster: number | null; profile: boolean; log: (line: string) => void; messageBytes: () => number }} options
 *   `url`: Duban's database; `messageBytes`: the size of the bare server's message (Duban's, once measured).
 */
export function createTargets({ url, jwtSecret, postmaster, profile, log, messageBytes }) {
  const { freePort } = require('../../dist/src/db/embedded.js');
  const { CHANNEL } = require('../../dist/src/modules/events/bus/bus.js');
  /** Watcher rows left by a Duban that did not finish its shutdown (the next one would list them). */
  const forgetWatchers = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query("select to_regclass('board_watcher') is not null as present");
      if (rows[0].present) {
        const { rowCount } = await client.query('delete from board_watcher');
        if (rowCount) log(`removed ${rowCount} board_watcher rows left by the stopped instance`);
      }
    } finally {
      await client.end();
    }
  };

  const duban = {
    name: DUBAN, protocol: 'graphql', parts: [COUNTY, CITY], postmaster,
    async start() {
      this.profile = undefined;
      this.heap = undefined;
      const server = await startServer({
        name: 'duban', cwd: ROOT, ready: /API \(HTTP\):\s+(\S+)/,
        args: [...(profile ? ['--inspect=127.0.0.1:0'] : []), 'dist/src/main.js'],
        env: {
          DATABASE_URL: url, JWT_SECRET: jwtSecret, PORT: String(await freePort()), HOST: '127.0.0.1', DUBAN_DEMO: 'on',
          NODE_ENV: 'production', DUBAN_WS_MAX_QUEUED_EVENTS: '100000',
          // Every subscriber is the demo's one screen account: N screens starting together are
          // N different walls here, not one user's operations to bound (16 at once by default).
          DUBAN_MAX_IN_FLIGHT_PER_USER: '10000',
        },
      });
      if (profile) {
        const inspector = inspectorUrl(server.output());
        this.profiler = inspector ? await connectProfiler(inspector) : null;
        if (!this.profiler) log('no inspector URL in Duban\'s output: no profile');
      }
      const screen = (await post(server.url, { query: LOGIN, variables: { username: 'screen', password: 'demo' } })).login.token;
      const lucheng = (await post(server.url, { query: LOGIN, variables: { username: 'lucheng', password: 'demo' } })).login.token;
      this.submit = async (value) => {
        await post(server.url, { query: SUBMIT, variables: { input: { indicator: 'P3-01', region: COUNTY, value, asOf: '2019-06-30' } } },
          { authorization: `Bearer ${lucheng}` });
        return now();
      };
      return { ...server, wsUrl: server.url.replace(/^http/, 'ws'), sseUrl: `${server.url}/stream`, authorization: `Bearer ${screen}` };
    },
    fire(value) { return this.submit(value); },
    async beforeConnect() { await this.profiler?.startHeap(); },
    async afterIdle() { if (this.profiler) this.heap = summariseHeap(await this.profiler.stopHeap()); },
    /** Every post-commit announcement Duban makes on its bus (NOTIFY duban_events, payload the last seq), timed on arrival here. */
    async beginWindow() {
      this.notified = [];
      this.listener = new pg.Client({ connectionString: url });
      await this.listener.connect();
      this.listener.on('notification', (m) => { if (m.channel === CHANNEL && m.payload) this.notified.push({ seq: BigInt(m.payload), at: now() }); });
      await this.listener.query(`listen ${CHANNEL}`);
      await this.profiler?.start();
    },
    async endWindow() {
      await this.listener?.end().catch(() => undefined);
      this.listener = undefined;
      if (this.profiler) {
        const raw = await this.profiler.stop();
        // The whole profile too, for a closer look (Chrome DevTools opens it).
        if (process.env.BENCH_FANOUT_PROFILE_FILE) writeFileSync(process.env.BENCH_FANOUT_PROFILE_FILE, JSON.stringify(raw));
        this.profile = summariseProfile(raw);
        this.profiler.close();
        this.profiler = null;
      }
    },
    /**
     * commit:   the parent's receipt of the NOTIFY Duban sends right after the submission's commit
     *           (the first announced seq at or past the 330302 event's cursor);
     * write:    the events' own `at`, taken in the writer's transaction just before its commit
     *           (the pinned demo clock keeps the time of day: moved back to today by whole days);
     * response: the parent's receipt of the mutation's HTTP response (Duban answers after it has
     *           read the region's progress again, so events can arrive before it: negative).
     */
    references(t0, collected) {
      const commit = new Map();
      const write = new Map();
      for (const e of collected) {
        if (e.part !== COUNTY || !e.meta || commit.has(e.item)) continue;
        const cursor = BigInt(e.meta.cursor);
        const announced = this.notified.filter((x) => x.seq >= cursor).sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : a.at - b.at))[0];
        if (announced) commit.set(e.item, announced.at);
        const at = Date.parse(e.meta.at);
        const first = e.times[0] ?? Date.now();
        write.set(e.item, at + Math.round((first - at) / 86_400_000) * 86_400_000);
      }
      return { commit, write, response: t0 };
    },
    async afterStop() {
      await forgetWatchers().catch((e) => log(`board_watcher: ${e.message}`));
      return this.profile && { cpu: this.profile, heap: this.heap };
    },
  };
  const bare = {
    // As many messages per trigger as a Duban subscriber receives per submission (the county's and the city's event).
    name: BARE, protocol: 'bare', parts: ['msg0', 'msg1'],
    async start() {
      const server = await startServer({
        name: 'bare', cwd: ROOT, args: ['bench/fanout/broadcast-server.mjs'], ready: /Broadcast ready: (\S+)/,
        env: { NODE_ENV: 'production', PORT: String(await freePort()) },
      });
      const http = server.url.replace(/^ws/, 'http').replace(/\/$/, '');
      this.trigger = async (seq) => {
        const sent = now();
        const res = await fetch(`${http}/broadcast?seq=${seq}&bytes=${messageBytes()}&parts=${this.parts.length}`, { method: 'POST' });
        await res.text();
        if (res.status !== 202) throw new Error(`broadcast: HTTP ${res.status}`);
        return sent;
      };
      return { ...server, wsUrl: server.url, authorization: undefined };
    },
    fire(seq) { return this.trigger(seq); },
    /** trigger: the parent sending the POST (the server answers 202, then sends). */
    references(t0) { return { trigger: t0 }; },
  };
  return { duban, bare };
}
