/**
 * A child process of the fan-out benchmark holding some of the subscribers: plain `ws` clients,
 * either speaking graphql-transport-ws to Duban (connection_init with the token, then one
 * `subscribe` of the contract's boardEvents), or just connected to the bare broadcast server; or
 * (sse) one HTTP request each to Duban's /graphql/stream (graphql-sse's distinct connections mode:
 * POST of the same subscription with the token, the response a text/event-stream of `next` events).
 * Driven by the parent over IPC ({ id, cmd, args } -> { id, result | error }).
 *
 * Every message is parsed (JSON.parse, the same in both modes) and stamped on arrival with the
 * wall clock (performance.timeOrigin + performance.now(), as the parent does). What it is:
 *
 *   graphql: a ProgressChanged of P3-01 for 330302 carries the submitted value (progress.actual);
 *            the 330300 one that follows it in the stream belongs to the same submission. Item = the
 *            value, parts = 330302 and 330300; the event's `at` and `cursor` are kept (once).
 *            Other events (PresenceChanged, ...) are counted.
 *   bare:    { payload: { seq } }: item = seq, one part.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const now = () => performance.timeOrigin + performance.now();
const COUNTY = '330302';
const CITY = '330300';

/** @type {Sub[]} */
const sockets = [];
/** receipt times, per `${item}|${part}` */
const times = new Map();
/** the event's own `at` and `cursor` (Duban), per `${item}|${part}` */
const meta = new Map();
const counters = { otherEvents: 0, otherEventsSinceMark: 0, otherTypes: {}, errors: [], closeCodes: {}, unexpected: 0 };
const sizes = { county: null, city: null };
let mode = 'graphql';
let cpuAtMark = process.cpuUsage();

/**
 * @typedef {{ ws: WebSocket; open: boolean; acked: boolean; subscribed: boolean; closed: boolean;
 *   lastCounty: number; last: number; got: Map<string, number>; firstAt?: Map<string, number> }} Sub
 */

function record(sub, item, part, at, event) {
  const key = `${item}|${part}`;
  if (event && !meta.has(key)) meta.set(key, { at: event.at, cursor: event.cursor });
  sub.got.set(key, (sub.got.get(key) ?? 0) + 1);
  sub.firstAt ??= new Map();
  if (!sub.firstAt.has(key)) sub.firstAt.set(key, at);
  let list = times.get(key);
  if (!list) times.set(key, (list = []));
  list.push(at);
}

function note(error) {
  if (counters.errors.length < 20) counters.errors.push(String(error).slice(0, 500));
}

/** A `next` payload ({ data: { boardEvents } } or { errors }), from either protocol; `size` the message's bytes. */
function onNext(sub, payload, size, at) {
  if (payload.errors) { note(`next with errors: ${JSON.stringify(payload.errors)}`); return; }
  const event = payload.data?.boardEvents;
  if (event?.__typename !== 'ProgressChanged') {
    counters.otherEvents++;
    counters.otherEventsSinceMark++;
    const type = event?.__typename ?? 'none';
    counters.otherTypes[type] = (counters.otherTypes[type] ?? 0) + 1;
    return;
  }
  if (event.indicator.code !== 'P3-01') { counters.unexpected++; return; }
  if (event.region.code === COUNTY) {
    sizes.county ??= size;
    sub.lastCounty = event.progress.actual;
    record(sub, sub.lastCounty, COUNTY, at, event);
  } else if (event.region.code === CITY) {
    sizes.city ??= size;
    if (sub.lastCounty < 0) { counters.unexpected++; return; }
    record(sub, sub.lastCounty, CITY, at, event);
    sub.last = Math.max(sub.last, sub.lastCounty);
  } else {
    counters.unexpected++;
  }
}

function onGraphqlMessage(sub, data, at) {
  const msg = JSON.parse(data);
  switch (msg.type) {
    case 'connection_ack':
      sub.acked = true;
      sub.ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: sub.request }));
      sub.subscribed = true;
      return;
    case 'next':
      onNext(sub, msg.payload, data.length, at);
      return;
    case 'ping':
      sub.ws.send(JSON.stringify({ type: 'pong' }));
      return;
    case 'pong':
      return;
    case 'error':
      note(`subscription error: ${JSON.stringify(msg.payload)}`);
      return;
    case 'complete':
      note('subscription completed by the server');
      return;
    default:
      note(`unknown message: ${String(data).slice(0, 200)}`);
  }
}

function onBareMessage(sub, data, at) {
  const msg = JSON.parse(data);
  const seq = msg.payload.seq;
  sizes.county ??= data.length;
  record(sub, seq, `msg${msg.payload.part ?? 0}`, at);
  sub.last = Math.max(sub.last, seq);
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * One event stream: POST of the subscription, Accept: text/event-stream; ready once the response
 * (200) comes, which graphql-sse sends once the subscription runs. Each block `event: next` with
 * its `data:` is a `next` payload (its `id:`, the cursor, is not needed here).
 */
function openStream({ url, authorization, request, timeoutMs }) {
  return new Promise((resolve) => {
    const sub = { ws: null, req: null, open: false, acked: false, subscribed: false, closed: false, lastCounty: -1, last: -1, got: new Map(), request };
    sockets.push(sub);
    let settled = false;
    const done = (ok) => { if (!settled) { settled = true; clearTimeout(timer); resolve(ok); } };
    const timer = setTimeout(() => { note('stream not ready in time'); done(false); }, timeoutMs);
    const closed = () => {
      if (sub.closed) return;
      sub.closed = true;
      counters.closeCodes.stream = (counters.closeCodes.stream ?? 0) + 1;
      done(false);
    };
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization } });
    sub.req = req;
    req.on('error', (error) => { note(`stream error: ${error.message}`); closed(); });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => { note(`stream HTTP ${res.statusCode}: ${body.slice(0, 300)}`); closed(); });
        return;
      }
      sub.open = sub.acked = sub.subscribed = true;
      done(true);
      res.setEncoding('utf8');
      let pending = '';
      res.on('data', (chunk) => {
        const at = now();
        pending += chunk;
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (!/^event: next$/m.test(block)) continue;
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!data) continue;
          try {
            onNext(sub, JSON.parse(data), block.length + 2, at);
          } catch (error) {
            note(`bad event: ${error.message}: ${block.slice(0, 200)}`);
          }
        }
      });
      res.on('close', closed);
    });
    req.end(JSON.stringify(request));
  });
}

/** Opens one socket; resolves when it is ready (acked for graphql, open for bare) or failed. */
function open({ url, authorization, request, timeoutMs }) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, mode === 'graphql' ? 'graphql-transport-ws' : undefined, { perMessageDeflate: false });
    /** @type {Sub} */
    const sub = { ws, open: false, acked: false, subscribed: false, closed: false, lastCounty: -1, last: -1, got: new Map(), request };
    sockets.push(sub);
    let settled = false;
    const done = (ok) => { if (!settled) { settled = true; clearTimeout(timer); resolve(ok); } };
    const timer = setTimeout(() => { note('socket not ready in time'); done(false); }, timeoutMs);
    ws.on('open', () => {
      sub.open = true;
      if (mode === 'graphql') ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
      else done(true);
    });
    ws.on('message', (data, isBinary) => {
      const at = now();
      if (isBinary) { note('binary message'); return; }
      try {
        if (mode === 'graphql') {
          onGraphqlMessage(sub, data, at);
          if (sub.subscribed) done(true);
        } else {
          onBareMessage(sub, data, at);
        }
      } catch (error) {
        note(`bad message: ${error.message}: ${String(data).slice(0, 200)}`);
      }
    });
    ws.on('error', (error) => { note(`socket error: ${error.message}`); });
    ws.on('close', (code) => {
      sub.closed = true;
      counters.closeCodes[code] = (counters.closeCodes[code] ?? 0) + 1;
      done(false);
    });
  });
}

const commands = {
  /** Opens `count` sockets, `batch` at a time, each batch awaited (then `pauseMs`). */
  async connect({ url, count, batch, pauseMs, authorization, query, variables, timeoutMs, protocol }) {
    mode = protocol;
    const request = { query, variables };
    let ready = 0;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const results = await Promise.all(Array.from({ length: n }, () => (mode === 'sse' ? openStream : open)({ url, authorization, request, timeoutMs })));
      ready += results.filter(Boolean).length;
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
    return { ready, opened: sockets.length };
  },

  /** How many sockets are up, and how many have everything of an item ≥ `atLeast`. */
  status({ atLeast = Infinity } = {}) {
    let open = 0;
    let acked = 0;
    let subscribed = 0;
    let reached = 0;
    for (const s of sockets) {
      if (s.closed) continue;
      if (s.open) open++;
      if (s.acked) acked++;
      if (s.subscribed) subscribed++;
      if (s.last >= atLeast) reached++;
    }
    const cpu = process.cpuUsage(cpuAtMark);
    return { sockets: sockets.length, open, acked, subscribed, reached, closed: sockets.filter((s) => s.closed).length, cpuMsSinceMark: (cpu.user + cpu.system) / 1000, ...counters };
  },

  /** The byte sizes of the first ProgressChanged messages (county, city), or of the bare message. */
  sizes() {
    return sizes;
  },

  /** Starts counting other events and this process's CPU afresh (the measured window). */
  mark() {
    counters.otherEventsSinceMark = 0;
    cpuAtMark = process.cpuUsage();
    return true;
  },

  /**
   * For each of `items` × `parts`: every receipt time, and over all sockets how many never got
   * it (missing) and how many extra copies came (duplicates).
   */
  collect({ items, parts }) {
    const out = [];
    for (const item of items) {
      for (const part of parts) {
        const key = `${item}|${part}`;
        let missing = 0;
        let duplicates = 0;
        for (const s of sockets) {
          const n = s.got.get(key) ?? 0;
          if (n === 0) missing++;
          else duplicates += n - 1;
        }
        out.push({ item, part, missing, duplicates, meta: meta.get(key) ?? null, times: Float64Array.from(times.get(key) ?? []) });
      }
    }
    return out;
  },

  /**
   * What a board shows rather than what it was sent: per item of `items` (values, ascending as
   * submitted), the time each socket first received `part` with that value or a later one. A board
   * shows states, so a figure merged into a later one (one event per page of facts, or coalesced
   * for a subscriber behind) reached the board when the later one did; `missing` counts the sockets
   * that never showed it or anything newer.
   */
  freshness({ items, part }) {
    const sorted = [...items].sort((a, b) => a - b);
    const out = sorted.map((item) => ({ item, missing: 0, times: [] }));
    for (const s of sockets) {
      let best = Infinity;
      for (let i = sorted.length - 1; i >= 0; i--) {
        const at = s.firstAt?.get(`${sorted[i]}|${part}`);
        if (at !== undefined && at < best) best = at;
        if (best === Infinity) out[i].missing++;
        else out[i].times.push(best);
      }
    }
    return out.map((o) => ({ ...o, times: Float64Array.from(o.times) }));
  },

  /** Closes every socket (terminate: no closing handshake to wait for). */
  close() {
    for (const s of sockets) {
      if (s.ws) s.ws.terminate();
      else s.req?.destroy();
    }
    return true;
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    const result = await commands[cmd](args);
    process.send({ id, result });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.stack ?? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
