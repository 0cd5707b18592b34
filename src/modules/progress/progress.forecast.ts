import { Indicator, IndicatorKind } from '../indicator/indicator.entity';
import type { Target } from '../target/target.entity';
import { expectedOn, type Plan } from '../trajectory/trajectory.plan';
import { daysBetween, deadlineOf, goal, lessIsBetter, startingValue } from './progress.judge';
import type { HistoryPoint } from './progress.sql';
import { OutlookVerdict, ProgressStatus, type Outlook, type Progress } from './progress.types';

/**
 * The figure on `day`, projected from the history by least squares over (day, figure); a count of
 * the year's work also starts from its starting value on the programme's first day. Null with
 * fewer than two points.
 */
export function projectTo(indicator: Indicator, points: HistoryPoint[], day: string): number | null {
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
  const value = my + slope * (daysBetween(startsOn, day) + 1 - mx);
  const kind = indicator.kind;
  // A share stays within 0..100; a count of the year's work does not fall below zero.
  if (kind === IndicatorKind.PERCENT) return Math.min(100, Math.max(0, value));
  if (kind === IndicatorKind.MILESTONE) return Math.min(1, Math.max(0, value));
  return from === 0 ? Math.max(0, value) : value;
}

/** The figure at the deadline, projected from the history; null where no deadline lies ahead. */
export function forecast(indicator: Indicator, target: Target | null, points: HistoryPoint[], asOf: string): number | null {
  const deadline = deadlineOf(indicator, target);
  if (deadline < asOf) return null;
  return projectTo(indicator, points, deadline);
}

/**
 * Whether the figure, on its course, makes the next step the region is judged by: the plan's next
 * milestone after `asOf` (a region behind its trajectory is judged against it, not against the
 * deadline alone), else the target at its deadline. Null without a target or a deadline ahead, or
 * with too little history to project; a target already met is on course.
 */
export function outlook(progress: Progress, plan: Plan | null, points: HistoryPoint[]): Outlook | null {
  const { indicator, target, asOf } = progress;
  if (!target) return null;
  const want = goal(indicator, target);
  const deadline = deadlineOf(indicator, target);
  if (want === null || deadline < asOf) return null;
  const down = lessIsBetter(indicator, target);
  const next = plan?.milestones.map((m) => m.on).filter((on) => on > asOf && on < deadline).sort()[0];
  const on = next ?? deadline;
  const from = indicator.baseline ?? (down ? want : 0);
  const planned = plan ? expectedOn(plan, on, indicator.programme.startsOn, deadline, from, want) : want;
  if (progress.status === ProgressStatus.ACHIEVED) return { on, planned, forecast: progress.actual, verdict: OutlookVerdict.ON_COURSE };
  const projected = projectTo(indicator, points, on);
  if (projected === null) return null;
  const makes = down ? projected <= planned + 1e-9 : projected >= planned - 1e-9;
  return { on, planned, forecast: projected, verdict: makes ? OutlookVerdict.ON_COURSE : OutlookVerdict.OFF_COURSE };
}
