/** The section of BENCHMARKS.md for bench/race/run.mjs, from its results.json. */

const table = (head, rows) => [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The goal of issue 13: the last event of each board equals a fresh query, 0 mismatches, one and two instances, both buses. */
function goalMet(results) {
  const buses = new Set(results.results.map((r) => r.bus));
  const instances = new Set(results.results.map((r) => r.instances));
  return buses.size === 2 && instances.size === 2 && results.results.every((r) => r.mismatches === 0);
}

/** The row of "Against the goals". */
export function raceGoalRow(results) {
  const bursts = results.results.reduce((n, r) => n + r.bursts, 0);
  const mismatches = results.results.reduce((n, r) => n + r.mismatches, 0);
  const cases = results.results.map((r) => `${r.bus} ×${r.instances}`).join(', ');
  return ['race: bursts of 12 concurrent county figures, the board\'s last event against a fresh query', '0 mismatches, 1 and 2 instances, both buses',
    `${mismatches} mismatches in ${bursts} bursts (${cases})`, 'before the projector: 7 of 8 bursts wrong', goalMet(results) ? '**met**' : '**missed**'];
}

/** @returns {string[]} lines */
export function raceSection(results) {
  return [
    '## Race: twelve counties at once (`npm run bench:race`)', '',
    `Run at ${results.date}: bursts of 12 concurrent \`submitFigure\` of P3-01, one per county of 330300; a screen on \`boardEvents\` P3 at 330300; after each burst, once folded, the last \`ProgressChanged\` of the city compared field by field with a fresh \`progress\` query.`, '',
    table(['bus', 'instances', 'bursts', 'mismatches', '`submitFigure` p50 ms', 'p99 ms'],
      results.results.map((r) => [r.bus, String(r.instances), String(r.bursts), `**${r.mismatches}**`, String(r.writeP50Ms), String(r.writeP99Ms)])), '',
    `Goal (0 mismatches, one and two instances, both buses): ${goalMet(results) ? '**met**' : '**missed**'}. The answer times are those of 12 writes at once on 2 cores with PostgreSQL, not a measure of the write path (see the write cost under National scale).`, '',
  ];
}
