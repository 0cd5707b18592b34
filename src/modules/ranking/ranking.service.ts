import { IndicatorKind, Direction } from '../indicator/indicator.entity';
import { ProgressStatus, type Progress } from '../progress/progress.types';
import { Comparator } from '../target/target.entity';
import { RankingBasis } from './ranking.types';

/** A child region's standing on one day: its value, or null when it has reported nothing ranked on. */
export interface Standing {
  value: number | null;
  reported: number;
  judged: number;
}

const PACE_CAP = 2;

/** The pace of one progress: the figure against what is expected by now (less is better: the other way round). */
export function paceOf(p: Progress): number | null {
  if (p.actual === null) return null;
  if (p.indicator.kind === IndicatorKind.MILESTONE) return p.status === ProgressStatus.ACHIEVED ? 1 : p.status === ProgressStatus.OVERDUE ? 0 : null;
  const expected = p.expectedByNow;
  if (expected === null) return null;
  const down = p.target?.comparator === Comparator.LTE || (p.indicator.direction === Direction.DOWN && p.target?.comparator === Comparator.EQ);
  if (down) return p.actual === 0 ? PACE_CAP : Math.min(PACE_CAP, expected / p.actual);
  return expected === 0 ? PACE_CAP : Math.min(PACE_CAP, p.actual / expected);
}

const judged = (p: Progress) => Boolean(p.target || p.metOf);
const hasFigure = (p: Progress) => p.reportedCount > 0;
const completion = (p: Progress) => Math.min(1, p.completion ?? (p.status === ProgressStatus.ACHIEVED ? 1 : 0));

/**
 * A region's standing over its indicators' progress. `weights` (SCORE): by indicator id; an
 * indicator without one weighs 1 unless some weight is set, then 0.
 */
export function standing(by: RankingBasis, rows: Progress[], weights: Map<number, number>): Standing {
  const withTarget = rows.filter(judged);
  if (by === RankingBasis.SCORE) {
    const weightOf = (p: Progress) => (weights.size ? weights.get(p.indicator.id) ?? 0 : 1);
    const scored = withTarget.filter((p) => weightOf(p) > 0);
    const reported = scored.filter(hasFigure);
    const total = scored.reduce((a, p) => a + weightOf(p), 0);
    if (reported.length === 0 || total === 0) return { value: null, reported: reported.length, judged: scored.length };
    const points = reported.reduce((a, p) => a + weightOf(p) * completion(p), 0);
    return { value: (100 * points) / total, reported: reported.length, judged: scored.length };
  }
  const reported = withTarget.filter(hasFigure);
  const values = reported.map((p) => (by === RankingBasis.PACE ? paceOf(p) : completion(p))).filter((v): v is number => v !== null);
  const value = values.length ? values.reduce((a, v) => a + v, 0) / values.length : null;
  return { value, reported: reported.length, judged: withTarget.length };
}

/**
 * Standard competition ranking (1, 2, 2, 4) of the values, highest first; null values are not
 * ranked. Values equal to 6 decimal places tie.
 */
export function rankValues(values: (number | null)[]): (number | null)[] {
  const rounded = values.map((v) => (v === null ? null : Math.round(v * 1e6)));
  return rounded.map((v) => (v === null ? null : 1 + rounded.filter((o) => o !== null && o > v).length));
}
