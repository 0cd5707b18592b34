/**
 * A CPU profile of the server over exactly the measured window, taken through the inspector of a
 * process started with --inspect=127.0.0.1:0 (the Chrome DevTools protocol over `ws`), and summed
 * up: self time by function, and by where the code comes from (graphql, graphql-ws, ws, MikroORM,
 * pg, Duban, Node, native socket writes).
 */
import WebSocket from 'ws';

/** The inspector's WebSocket URL, from the "Debugger listening on ws://…" line of the process's output. */
export function inspectorUrl(output) {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1] ?? null;
}

/** Connects to the inspector; `start()` then `stop()` give the profile between them. */
export async function connectProfiler(url, samplingIntervalUs = 1000) {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024 });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let next = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(data);
    const waiting = msg.id !== undefined && pending.get(msg.id);
    if (!waiting) return;
    pending.delete(msg.id);
    if (msg.error) waiting.reject(new Error(`${msg.error.message}`));
    else waiting.resolve(msg.result);
  });
  const send = (method, params = {}) => new Promise((resolve, reject) => {
    const id = ++next;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  return {
    /** Sampling heap profiler: what is allocated from now on and still alive when `stopHeap()` is called. */
    startHeap: () => send('HeapProfiler.startSampling', { samplingInterval: 16384 }),
    async stopHeap() {
      const { profile } = await send('HeapProfiler.getSamplingProfile');
      await send('HeapProfiler.stopSampling');
      return profile;
    },
    start: () => send('Profiler.start'),
    async stop() {
      const { profile } = await send('Profiler.stop');
      return profile;
    },
    close: () => ws.close(),
  };
}

const GROUPS = [
  ['graphql-ws', /node_modules\/graphql-ws\//],
  ['graphql (execute)', /node_modules\/graphql\//],
  ['type-graphql', /node_modules\/type-graphql\//],
  ['ws', /node_modules\/ws\//],
  ['MikroORM', /node_modules\/@mikro-orm\//],
  ['pg', /node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//],
  ['express/apollo', /node_modules\/(@apollo|express|@as-integrations|body-parser|router)\//],
  ['other node_modules', /node_modules\//],
  ['Duban (dist/src)', /\/dist\/src\//],
  ['Node internals (JS)', /^node:/],
];

function groupOf({ url, functionName }) {
  if (!url) {
    if (/^\((garbage collector|program|idle|root)\)$/.test(functionName)) return functionName;
    if (/^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString|writeUcs2String|shutdown)$/.test(functionName)) return 'socket writes (native)';
    if (functionName === 'stringify' || functionName === 'parse') return 'JSON (native)';
    return 'other native/builtins';
  }
  for (const [name, re] of GROUPS) if (re.test(url)) return name;
  return 'other';
}

/**
 * Frames whose inclusive time (self and everything they call synchronously) is worth knowing. Async
 * continuations start from the microtask queue, not under their caller: the mutation's resolver,
 * for one, spends its time after awaits, so it is not listed here (see the groups instead).
 */
const INCLUSIVE = [
  ['websocket.js mapped next() (per subscriber: the shared-result key; GraphQL execute on the first)', (f) => /dist\/src\/server\/websocket/.test(f.url) && f.functionName === 'next'],
  ['graphql execute (any)', (f) => f.functionName === 'execute' && /node_modules\/graphql\/execution\/execute/.test(f.url)],
  ['follow() next (per subscriber)', (f) => /dist\/src\/modules\/events\/follow/.test(f.url) && f.functionName === 'next'],
  ['graphql-ws stringifyMessage (JSON per socket)', (f) => f.functionName === 'stringifyMessage' && /graphql-ws/.test(f.url)],
  ['ws WebSocket.send (per socket)', (f) => f.functionName === 'send' && /node_modules\/ws\/lib\/websocket\.js/.test(f.url)],
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
];

/** Self time by group and by function (top `top`), and inclusive time of INCLUSIVE; idle left out. */
export function summariseProfile(profile, top = 15) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const labels = new Map();
  const labelsOf = (id) => {
    let set = labels.get(id);
    if (set) return set;
    const up = parent.has(id) ? labelsOf(parent.get(id)) : new Set();
    const own = INCLUSIVE.filter(([, test]) => test(nodes.get(id).callFrame)).map(([name]) => name);
    set = own.length ? new Set([...up, ...own]) : up;
    labels.set(id, set);
    return set;
  };
  const inclusive = new Map(INCLUSIVE.map(([name]) => [name, 0]));
  const byFunction = new Map();
  const byGroup = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const frame = nodes.get(profile.samples[i]).callFrame;
    if (frame.functionName === '(idle)') continue;
    total += dt;
    const short = frame.url ? frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\/src\//, 'src/').replace(/^file:\/\//, '') : '';
    const key = `${frame.functionName || '(anonymous)'}${short ? ` ${short}:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const group = groupOf(frame);
    byGroup.set(group, (byGroup.get(group) ?? 0) + dt);
    for (const label of labelsOf(profile.samples[i])) inclusive.set(label, inclusive.get(label) + dt);
  }
  const rank = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: total ? ms / total : 0 }));
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  return {
    wallMs: Math.round(wallMs), busyMs: Math.round(total), groups: rank(byGroup, 20), functions: rank(byFunction, top),
    inclusive: [...inclusive].map(([name, ms]) => ({ name, ms: Math.round(ms), share: total ? ms / total : 0 })),
  };
}

const shortUrl = (url) => url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\/src\//, 'src/').replace(/^file:\/\//, '');
const frameKey = (f) => `${f.functionName || '(anonymous)'}${f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`;

/**
 * A sampling heap profile (live objects allocated since sampling started), summed up: bytes by the
 * allocating function, and by the nearest Duban frame (dist/src) on the allocation's stack (else
 * the nearest package), which says which of Duban's steps keeps the memory.
 */
export function summariseHeap(profile, top = 15) {
  const bySelf = new Map();
  const byDuban = new Map();
  let total = 0;
  const walk = (node, nearestDuban, nearestPackage) => {
    const f = node.callFrame;
    const duban = /\/dist\/src\//.test(f.url) ? frameKey(f) : nearestDuban;
    const pkg = /node_modules\//.test(f.url) ? shortUrl(f.url).split('/').slice(0, f.url.includes('node_modules/@') ? 2 : 1).join('/') : nearestPackage;
    if (node.selfSize) {
      total += node.selfSize;
      bySelf.set(frameKey(f), (bySelf.get(frameKey(f)) ?? 0) + node.selfSize);
      const owner = duban ?? (pkg ? `(no Duban frame) ${pkg}` : '(no Duban frame) node/V8');
      byDuban.set(owner, (byDuban.get(owner) ?? 0) + node.selfSize);
    }
    for (const c of node.children ?? []) walk(c, duban, pkg);
  };
  walk(profile.head, undefined, undefined);
  const rank = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, bytes]) => ({ name, kb: Math.round(bytes / 1024), share: total ? bytes / total : 0 }));
  return { liveKb: Math.round(total / 1024), byAllocatingFunction: rank(bySelf), byNearestDubanFrame: rank(byDuban) };
}
