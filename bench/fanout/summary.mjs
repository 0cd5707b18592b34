/**
 * The fan-out benchmark's results summed up: Duban (WebSocket, and Server-Sent Events where run)
 * beside the bare broadcast of the same N, as ratios, and issue 14's goals judged from them.
 * Used by run.mjs (printed, and written to the results JSON) and by bench/report.mjs (BENCHMARKS.md).
 */

export const DUBAN = 'Duban';
export const DUBAN_SSE = 'Duban SSE';
export const BARE = 'bare ws broadcast';

/**
 * The goals: p99 ≤ 250 ms at 10,000; at 1,000 and 5,000, p99 ≤ 1.5× and CPU per delivered message
 * ≤ 2× the bare broadcast's; at 5,000, ≤ 40 KB of RSS per idle subscription and every subscription
 * connected in under 10 s; over SSE, every receipt, none missing or repeated.
 */
export const GOALS = { p99Ms: 250, p99AtN: 10000, ratioAtN: [1000, 5000], p99OverBare: 1.5, cpuOverBare: 2, kbPerSubscription: 40, connectSeconds: 10, atN: 5000 };

const ratio = (x, y) => (x != null && y ? x / y : null);
const find = (results, name, n) => results.find((r) => r.name === name && r.subscribers === n);

/** Per N: Duban over bare, and SSE over bare and over the WebSocket. */
export function compare(results) {
  const ns = [...new Set(results.map((r) => r.subscribers))];
  return ns.map((n) => {
    const d = find(results, DUBAN, n);
    const s = find(results, DUBAN_SSE, n);
    const b = find(results, BARE, n);
    return {
      subscribers: n,
      p50OverBare: ratio(d?.latencyMs?.p50, b?.latencyMs?.p50),
      p99OverBare: ratio(d?.latencyMs?.p99, b?.latencyMs?.p99),
      memoryOverBare: ratio(d?.memory?.kbPerSubscription, b?.memory?.kbPerSubscription),
      serverCpuOverBare: ratio(d?.cpuMsPerEvent?.server, b?.cpuMsPerEvent?.server),
      cpuPerMessageOverBare: ratio(d?.cpuUsPerMessage, b?.cpuUsPerMessage),
      connectOverBare: ratio(d?.connectSeconds, b?.connectSeconds),
      sse: s ? {
        p99OverBare: ratio(s.latencyMs?.p99, b?.latencyMs?.p99),
        p99OverWebSocket: ratio(s.latencyMs?.p99, d?.latencyMs?.p99),
        cpuPerMessageOverBare: ratio(s.cpuUsPerMessage, b?.cpuUsPerMessage),
        memoryOverWebSocket: ratio(s.memory?.kbPerSubscription, d?.memory?.kbPerSubscription),
      } : null,
    };
  });
}

/** Every goal, judged where this run measured it (`measured: false` where it did not). */
export function judge(results, comparisons) {
  const complete = (r) => r && r.live === r.subscribers && !r.missing && !r.duplicates;
  const at10k = find(results, DUBAN, GOALS.p99AtN);
  const at5k = find(results, DUBAN, GOALS.atN);
  return {
    p99: at10k
      ? { subscribers: GOALS.p99AtN, goalMs: GOALS.p99Ms, ms: at10k.latencyMs?.p99 ?? null, met: complete(at10k) && at10k.latencyMs.p99 <= GOALS.p99Ms, measured: true }
      : { subscribers: GOALS.p99AtN, goalMs: GOALS.p99Ms, measured: false },
    overBare: GOALS.ratioAtN.map((n) => {
      const c = comparisons.find((x) => x.subscribers === n);
      if (!c || c.p99OverBare == null) return { subscribers: n, measured: false };
      const d = find(results, DUBAN, n);
      return {
        subscribers: n, measured: true,
        p99: { goal: GOALS.p99OverBare, ratio: c.p99OverBare, met: complete(d) && c.p99OverBare <= GOALS.p99OverBare },
        cpu: { goal: GOALS.cpuOverBare, ratio: c.cpuPerMessageOverBare, met: c.cpuPerMessageOverBare != null && c.cpuPerMessageOverBare <= GOALS.cpuOverBare },
      };
    }),
    memory: at5k
      ? { subscribers: GOALS.atN, goalKb: GOALS.kbPerSubscription, kb: at5k.memory?.kbPerSubscription ?? null, met: at5k.memory?.kbPerSubscription <= GOALS.kbPerSubscription, measured: true }
      : { subscribers: GOALS.atN, goalKb: GOALS.kbPerSubscription, measured: false },
    connect: at5k
      ? { subscribers: GOALS.atN, goalSeconds: GOALS.connectSeconds, seconds: at5k.connectSeconds, met: at5k.connected === GOALS.atN && at5k.connectSeconds < GOALS.connectSeconds, measured: true }
      : { subscribers: GOALS.atN, goalSeconds: GOALS.connectSeconds, measured: false },
    sse: results.filter((r) => r.name === DUBAN_SSE).map((r) => ({
      subscribers: r.subscribers, receipts: r.receipts, expected: r.expectedReceipts, missing: r.missing, duplicates: r.duplicates, met: complete(r) && r.receipts === r.expectedReceipts,
    })),
  };
}

const f = (x, d = 2) => (x == null || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

/** The per-run table (markdown). */
export function table(rows) {
  const head = ['server', 'N', 'live', 'connect s', 'latency from', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p99 from write', 'p99 from HTTP resp.',
    'receipts', 'missing', 'dup', 'KB/sub idle', 'server CPU ms/event', 'same, 0 subs', 'µs/message', 'msg bytes'];
  const body = rows.map((r) => [r.name, String(r.subscribers), String(r.live ?? 'n/a'), f(r.connectSeconds, 1), r.latencyReference ?? 'n/a',
    f(r.latencyMs?.p50, 1), f(r.latencyMs?.p90, 1), f(r.latencyMs?.p99, 1), f(r.latencyMs?.max, 1),
    f(r.latencyMsFrom?.write?.p99, 1), f(r.latencyMsFrom?.response?.p99, 1),
    r.receipts == null ? 'n/a' : `${r.receipts}/${r.expectedReceipts}`, String(r.missing ?? 'n/a'), String(r.duplicates ?? 'n/a'),
    f(r.memory?.kbPerSubscription, 1), f(r.cpuMsPerEvent?.server, 1), f(r.cpuMsPerEventAlone?.server, 1), f(r.cpuUsPerMessage, 1),
    r.messageBytes ? Object.values(r.messageBytes).join('/') : 'n/a']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`, ...body.map(line)].join('\n');
}

/** The comparisons and the goals, as lines to print. */
export function summaryLines(comparisons, goals) {
  const yes = (m) => (m ? 'met' : 'NOT met');
  const lines = ['', 'Duban / bare (same N, same run):'];
  for (const c of comparisons) {
    lines.push(`  N=${c.subscribers}: p50 ×${f(c.p50OverBare)}, p99 ×${f(c.p99OverBare)}, CPU per delivered message ×${f(c.cpuPerMessageOverBare)}, `
      + `server CPU per event ×${f(c.serverCpuOverBare)}, memory ×${f(c.memoryOverBare)}, connect ×${f(c.connectOverBare)}`);
    if (c.sse) lines.push(`  N=${c.subscribers} over SSE: p99 ×${f(c.sse.p99OverBare)} bare (×${f(c.sse.p99OverWebSocket)} the WebSocket's), CPU per delivered message ×${f(c.sse.cpuPerMessageOverBare)} bare, memory ×${f(c.sse.memoryOverWebSocket)} the WebSocket's`);
  }
  lines.push('', 'Goals:');
  const g = goals;
  lines.push(g.p99.measured
    ? `  p99 ≤ ${g.p99.goalMs} ms at N=${g.p99.subscribers}: ${f(g.p99.ms, 1)} ms, ${yes(g.p99.met)}`
    : `  p99 ≤ ${g.p99.goalMs} ms at N=${g.p99.subscribers}: not measured in this run (BENCH_FANOUT_N=${g.p99.subscribers}, npm run bench:fanout:10k)`);
  for (const o of g.overBare) {
    if (!o.measured) { lines.push(`  at N=${o.subscribers}: not measured in this run`); continue; }
    lines.push(`  at N=${o.subscribers}: p99 ≤ ${o.p99.goal}× bare: ×${f(o.p99.ratio)}, ${yes(o.p99.met)}; CPU per delivered message ≤ ${o.cpu.goal}× bare: ×${f(o.cpu.ratio)}, ${yes(o.cpu.met)}`);
  }
  lines.push(g.memory.measured
    ? `  ≤ ${g.memory.goalKb} KB per idle subscription at N=${g.memory.subscribers}: ${f(g.memory.kb, 1)} KB, ${yes(g.memory.met)}`
    : `  ≤ ${g.memory.goalKb} KB per idle subscription at N=${g.memory.subscribers}: not measured in this run`);
  lines.push(g.connect.measured
    ? `  ${g.connect.subscribers} subscriptions connected in < ${g.connect.goalSeconds} s: ${f(g.connect.seconds, 1)} s, ${yes(g.connect.met)}`
    : `  ${g.connect.subscribers} subscriptions connected in < ${g.connect.goalSeconds} s: not measured in this run`);
  for (const s of g.sse) lines.push(`  SSE at N=${s.subscribers}: ${s.receipts}/${s.expected} receipts, ${s.missing} missing, ${s.duplicates} repeated: ${yes(s.met)}`);
  return lines;
}
