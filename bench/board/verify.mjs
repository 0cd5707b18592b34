/**
 * The board as the three servers return it, brought to one shape and compared: every indicator
 * at the board's region and every child, figure by figure.
 */

/**
 * @typedef {{ value: number | null; min?: number | null; max?: number | null; comparator: string; deadline: string | null } | null} TargetFigures
 * @typedef {{ code: string; name: string; actual: number | null; target: TargetFigures; completion: number | null; status: string }} ChildRow
 * @typedef {{ code: string; name: string; unit: string | null; kind: string; region: { code: string; name: string };
 *   actual: number | null; target: TargetFigures; completion: number | null; expectedByNow: number | null; status: string;
 *   reportedCount: number; expectedCount: number; lastReportedAt: number | null; children: ChildRow[] }} IndicatorRow
 * @typedef {{ code: string; name: string; indicators: IndicatorRow[] }} Board
 */

/** Numbers within this (relative, at least absolute) tolerance are the same figure. */
export const TOLERANCE = 1e-9;

const instant = (value) => (value == null ? null : Date.parse(value));

/** Parses a GraphQL response body; throws on errors or a missing programme. */
function dataOf(label, body) {
  const json = JSON.parse(body);
  if (json.errors?.length) throw new Error(`${label}: ${json.errors.map((e) => e.message).join('; ')}`);
  if (!json.data?.programme) throw new Error(`${label}: no programme in the response`);
  return json.data.programme;
}

/**
 * Duban's response (test/contract/board.graphql), and the raw baseline's, which has its shape.
 * @returns {Board}
 */
export function fromDuban(label, body) {
  const programme = dataOf(label, body);
  return {
    code: programme.code,
    name: programme.name,
    indicators: programme.indicators.map((i) => ({
      code: i.code, name: i.name, unit: i.unit, kind: i.kind,
      region: i.progress.region,
      actual: i.progress.actual,
      target: i.progress.target,
      completion: i.progress.completion,
      expectedByNow: i.progress.expectedByNow,
      status: i.progress.status,
      reportedCount: i.progress.reportedCount,
      expectedCount: i.progress.expectedCount,
      lastReportedAt: instant(i.progress.lastReportedAt),
      children: i.progress.children.map((c) => ({
        code: c.region.code, name: c.region.name, actual: c.actual, target: c.target, completion: c.completion, status: c.status,
      })),
    })),
  };
}

const targetOf = (row, withRange) => (row.targetComparator == null ? null : {
  value: row.targetValue,
  ...(withRange ? { min: row.targetMin, max: row.targetMax } : {}),
  comparator: row.targetComparator,
  deadline: row.targetDeadline,
});

/**
 * PostGraphile's response to POSTGRAPHILE_BOARD (queries.mjs).
 * @returns {Board}
 */
export function fromPostGraphile(label, body) {
  const programme = dataOf(label, body);
  return {
    code: programme.code,
    name: programme.name,
    indicators: programme.indicators.nodes.map((i) => {
      if (i.progress.nodes.length !== 1) throw new Error(`${label}: ${i.code} has ${i.progress.nodes.length} progress rows for the region`);
      const p = i.progress.nodes[0];
      return {
        code: i.code, name: i.name, unit: i.unit, kind: i.kind,
        region: { code: p.regionCode, name: p.regionName },
        actual: p.actual,
        target: targetOf(p, true),
        completion: p.completion,
        expectedByNow: p.expectedByNow,
        status: p.status,
        reportedCount: p.reportedCount,
        expectedCount: p.expectedCount,
        lastReportedAt: instant(p.lastReportedAt),
        children: p.children.nodes.map((c) => ({
          code: c.regionCode, name: c.regionName, actual: c.actual, target: targetOf(c, false), completion: c.completion, status: c.status,
        })),
      };
    }),
  };
}

function same(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

/** Every difference between two boards, as `path: expected ≠ actual`; none when they agree. */
export function differences(expected, actual, path = 'board') {
  if (expected === null || actual === null || typeof expected !== 'object' || typeof actual !== 'object') {
    return same(expected, actual) ? [] : [`${path}: ${JSON.stringify(expected)} ≠ ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return [`${path}: list ≠ object`];
  if (Array.isArray(expected) && expected.length !== actual.length) return [`${path}: ${expected.length} rows ≠ ${actual.length} rows`];
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  return [...keys].flatMap((key) => {
    const label = Array.isArray(expected) ? `${path}[${expected[key]?.code ?? key}]` : `${path}.${key}`;
    return differences(expected[key], actual[key], label);
  });
}

/** Counts what was compared: indicators, children, and the figures of each. */
export function coverage(board) {
  const children = board.indicators.reduce((n, i) => n + i.children.length, 0);
  return { indicators: board.indicators.length, children };
}
