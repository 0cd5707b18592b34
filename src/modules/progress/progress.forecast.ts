import { Indicator, IndicatorKind } from '../indicator/indicator.entity';
import type { Target } from '../target/target.entity';
import { daysBetween, deadlineOf, startingValue } from './progress.judge';
import type { HistoryPoint } from './progress.sql';

/**
 * The figure at the deadline, projected from the history by least squares over (day, figure);
 * a count of the year's work also starts from its starting value on the programme's first day.
 * Null with fewer than two points, or where no deadline lies ahead.
 */
export function forecast(indicator: Indicator, target: Target | null, points: HistoryPoint[], asOf: string): number | null {
  const deadline = deadlineOf(indicator, target);
  if (deadline < asOf) return null;
  const startsOn = indicator.programme.startsOn;
  const from = startingValue(indicator);
  const xy = points.map((p) => [daysBetween(startsOn, p.asOf) + 1, p.actual] as const);
  if (from !== null && !points.some((p) => p.asOf === startsOn)) xy.unshift([0, from]);
  if (xy.length < 2) return null;
  const n = xy.length;
  const mx = xy.reduce((a, [x]) => a + x, 0) / n;
  const my = xy.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = xy.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  if (sxx === 0) return null;
  const slope = xy.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
  const value = my + slope * (daysBetween(startsOn, deadline) + 1 - mx);
  const kind = indicator.kind;
  // A share stays within 0..100; a count of the year's work does not fall below zero.
  if (kind === IndicatorKind.PERCENT) return Math.min(100, Math.max(0, value));
  if (kind === IndicatorKind.MILESTONE) return Math.min(1, Math.max(0, value));
  return from === 0 ? Math.max(0, value) : value;
}
