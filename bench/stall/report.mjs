/** The section of BENCHMARKS.md for bench/stall/run.mjs, from its results.json. */

const f0 = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const table = (head, rows) => [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** Whether the goal holds: the query refused (or answered within the statement timeout), `/healthz` p99 < 200 ms meanwhile. */
function goalMet(results) {
  const [first] = results.cases;
  if (!first) return false;
  const refusedOrInTime = Object.keys(first.codes).every((k) => k === 'LIMIT_EXCEEDED (reads)') || (first.codes.OK === first.answers.n && first.answers.max <= results.settings.statementTimeoutMs);
  return refusedOrInTime && first.health.p99 < 200 && first.health.failures === 0;
}

/** The row of "Against the goals". */
export function stallGoalRow(results) {
  const [first] = results.cases;
  return [`a REPORTER's stalling query ×${results.settings.parallel} in parallel: refused or within the statement timeout; \`/healthz\` meanwhile`, '`/healthz` p99 < 200 ms',
    `${Object.entries(first.codes).map(([k, n]) => `${n} ${k}`).join(', ')} in ${f0(first.answers.p50)} ms (p50); \`/healthz\` p99 ${f0(first.health.p99)} ms`,
    results.cases[2] ? `read cost off: answers ${f0(results.cases[2].answers.p50)} ms, \`/healthz\` p99 ${f0(results.cases[2].health.p99)} ms` : 'read cost off: not run (`BENCH_STALL_UNLIMITED=off`)',
    goalMet(results) ? '**met**' : '**missed**'];
}

/** @returns {string[]} lines */
export function stallSection(results) {
  const s = results.settings;
  const met = goalMet(results);
  return [
    '## A REPORTER\'s stalling query (`npm run bench:stall`)', '',
    `The query of issue 12 (29 aliases of \`progress(region: "330302", asOf: <a different day each>) { history children { forecast history } allocation }\` across \`programmes { indicators }\`), sent by \`lucheng\` (REPORTER) ${s.parallel} at a time, ${s.rounds} rounds, while this process asks \`/healthz\` every ${s.healthEveryMs} ms. Demo database, figures cache off, statement timeout ${f0(s.statementTimeoutMs)} ms, read cost limit ${f0(results.limits.maxReadCost)} rows. Run at ${results.date}.`, '',
    table(['case', 'answers', 'answer p50 ms', 'answer max ms', 'bytes/answer', '`/healthz` p50 ms', '`/healthz` p99 ms', '`/healthz` max ms', 'samples (failed)'],
      results.cases.map((c) => [c.name, Object.entries(c.codes).map(([k, n]) => `${n} ${k}`).join(', '), f0(c.answers.p50), f0(c.answers.max), f0(c.bytesPerAnswer), f0(c.health.p50), f0(c.health.p99), f0(c.health.max), `${c.health.n} (${c.health.failures})`])), '',
    `Goal: the query refused or answered within the statement timeout, \`/healthz\` p99 under 200 ms meanwhile: ${met ? '**met**' : '**missed**'} (first row). `
      + 'The last row is the same query with the read cost off, as before it existed: each statement is short, so the statement timeout alone does not stop it; the time goes to building and executing tens of thousands of progress objects on the event loop, which `/healthz` waits behind. The middle row is the largest variant the defaults let through.', '',
  ];
}
