import { Aggregation, Direction, Indicator, IndicatorKind } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Comparator, Target } from '../target/target.entity';
import type { Figures, ProgressKey } from './progress.sql';
import { Progress, ProgressStatus } from './progress.types';
import { expectedOn, type Plan } from '../trajectory/trajectory.plan';

/*
 * Judging rolled-up figures against the targets: completion, pace, status, "n of m met". Pure:
 * no database, the same for the maintained roll-ups and the read-time ones.
 */

/** Paces: at least this share of expected-by-now is ON_TRACK; at least AT_RISK_FROM is AT_RISK. */
export const ON_TRACK_FROM = 0.95;
export const AT_RISK_FROM = 0.75;

/** The target that applies on `asOf`: the earliest deadline not yet passed, else one without a deadline, else the last. */
export function applicableTarget(targets: Target[], asOf: string): Target | null {
  const upcoming = targets.filter((t) => t.deadline && t.deadline >= asOf).sort((a, b) => a.deadline!.localeCompare(b.deadline!));
  if (upcoming.length) return upcoming[0];
  const open = targets.find((t) => !t.deadline);
  if (open) return open;
  const past = targets.filter((t) => t.deadline).sort((a, b) => b.deadline!.localeCompare(a.deadline!));
  return past[0] ?? null;
}

const DAY = 86_400_000;
/** Days from one date to another, both `YYYY-MM-DD`. */
export const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY;

export function isMet(indicator: Indicator, target: Target, actual: number): boolean {
  if (indicator.kind === IndicatorKind.MILESTONE && target.value == null) return actual >= 1;
  switch (target.comparator) {
    case Comparator.GTE: return actual >= target.value!;
    case Comparator.LTE: return actual <= target.value!;
    case Comparator.EQ: return Math.abs(actual - target.value!) < 1e-9;
    case Comparator.RANGE: return actual >= target.min! && actual <= target.max!;
  }
}

/** The value the target asks for, for completion and pace: the value, the low end of a range, 1 for a milestone. */
export function goal(indicator: Indicator, target: Target): number | null {
  if (target.comparator === Comparator.RANGE) return target.min ?? null;
  if (target.value != null) return target.value;
  return indicator.kind === IndicatorKind.MILESTONE ? 1 : null;
}

/** Whether less is better for this target: a DOWN indicator, or an upper bound. */
export function lessIsBetter(indicator: Indicator, target: Target): boolean {
  return target.comparator === Comparator.LTE || (indicator.direction === Direction.DOWN && target.comparator !== Comparator.GTE && target.comparator !== Comparator.RANGE);
}

/** The deadline a target runs to: its own, else the end of the programme. */
export function deadlineOf(indicator: Indicator, target: Target | null): string {
  return target?.deadline ?? indicator.programme.endsOn;
}

/** Where the figure started: the baseline, or 0 for a count of what was done in the year. */
export function startingValue(indicator: Indicator): number | null {
  if (indicator.baseline != null) return indicator.baseline;
  const cumulative = indicator.aggregation === Aggregation.SUM && (indicator.kind === IndicatorKind.COUNT || indicator.kind === IndicatorKind.AMOUNT);
  return cumulative && indicator.direction === Direction.UP ? 0 : null;
}

/** Judges rolled-up figures against the target that applies: completion, pace and status. */
export function judge(indicator: Indicator, region: Region, key: ProgressKey, figures: Figures, targets: Target[], plans?: Map<number, Plan>): Progress {
  const target = applicableTarget(targets, key.asOf);
  const { lastAsOf, ...shown } = figures;
  const progress: Progress = Object.assign(new Progress(), {
    indicator, region, asOf: key.asOf, ...shown, target,
    completion: null, expectedByNow: null, status: ProgressStatus.NO_TARGET, met: null, metOf: null, doneOn: null,
  });
  const { actual } = figures;
  if (indicator.kind === IndicatorKind.MILESTONE && actual !== null && actual >= 1) progress.doneOn = lastAsOf;
  if (!target) return progress;
  const want = goal(indicator, target);
  const down = lessIsBetter(indicator, target);
  const deadline = deadlineOf(indicator, target);
  const startsOn = indicator.programme.startsOn;
  const overdue = key.asOf > deadline;
  if (want !== null) {
    // The share of the days from the programme's start to the deadline that have passed, both ends counted.
    const share = Math.min(1, Math.max(0, (daysBetween(startsOn, key.asOf) + 1) / (daysBetween(startsOn, deadline) + 1)));
    // From the baseline (or zero) towards the target; an upper bound without a baseline holds all along.
    const from = indicator.baseline ?? (down ? null : 0);
    // A planned trajectory where the target has one; else time-proportional.
    const plan = plans?.get(target.id);
    progress.expectedByNow = plan ? expectedOn(plan, key.asOf, startsOn, deadline, from ?? want, want)
      : from === null || target.comparator === Comparator.EQ ? want : from + (want - from) * share;
    if (actual !== null) progress.completion = down ? (actual === 0 ? null : want / actual) : want === 0 ? null : actual / want;
  }
  if (actual !== null && isMet(indicator, target, actual)) {
    progress.status = ProgressStatus.ACHIEVED;
  } else if (overdue) {
    progress.status = ProgressStatus.OVERDUE;
  } else if (actual === null) {
    progress.status = ProgressStatus.NOT_STARTED;
  } else if (indicator.kind === IndicatorKind.MILESTONE || progress.expectedByNow === null) {
    // A milestone reported as not yet done, before its deadline: under way.
    progress.status = ProgressStatus.ON_TRACK;
  } else {
    const expected = progress.expectedByNow;
    const pace = down ? (actual === 0 ? Infinity : expected / actual) : expected === 0 ? Infinity : actual / expected;
    progress.status = pace >= ON_TRACK_FROM ? ProgressStatus.ON_TRACK : pace >= AT_RISK_FROM ? ProgressStatus.AT_RISK : ProgressStatus.BEHIND;
  }
  return progress;
}

/** Of the regions below that must each meet their own target, the worst standing first. */
const WORST_FIRST = [ProgressStatus.OVERDUE, ProgressStatus.BEHIND, ProgressStatus.AT_RISK, ProgressStatus.NOT_STARTED, ProgressStatus.ON_TRACK];

/**
 * A region without a target of its own, above regions that each have one (every county must
 * meet it, or the named counties): "n of m met". Completion is n / m; the status is ACHIEVED when
 * all are met, else the worst of those not met (NOT_STARTED only when none has started).
 */
export function judgeByChildren(progress: Progress, children: Progress[]): Progress {
  const judged = children.filter((c) => c.target || c.metOf);
  if (progress.target || judged.length === 0) return progress;
  const met = judged.filter((c) => c.status === ProgressStatus.ACHIEVED).length;
  const open = judged.filter((c) => c.status !== ProgressStatus.ACHIEVED).map((c) => c.status);
  progress.met = met;
  progress.metOf = judged.length;
  progress.completion = met / judged.length;
  if (open.length === 0) progress.status = ProgressStatus.ACHIEVED;
  else if (open.every((s) => s === ProgressStatus.NOT_STARTED)) progress.status = ProgressStatus.NOT_STARTED;
  else progress.status = WORST_FIRST.find((s) => s !== ProgressStatus.NOT_STARTED && open.includes(s)) ?? ProgressStatus.BEHIND;
  if (progress.indicator.kind === IndicatorKind.MILESTONE && open.length === 0) {
    progress.doneOn = judged.map((c) => c.doneOn ?? '').sort().at(-1) || null;
  }
  return progress;
}
