import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';
import { Aggregation, Direction, Indicator, IndicatorKind } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Comparator, Target } from '../target/target.entity';
import { Progress, ProgressStatus } from './progress.types';

/** Paces: at least this share of expected-by-now is ON_TRACK; at least AT_RISK_FROM is AT_RISK. */
export const ON_TRACK_FROM = 0.95;
export const AT_RISK_FROM = 0.75;

export interface ProgressKey {
  indicatorId: number;
  regionCode: string;
  /** `YYYY-MM-DD`: the figures as they stood at the end of that day. */
  asOf: string;
}

/** The rolled-up figures of one indicator × region, before they are judged against a target. */
export interface Figures {
  actual: number | null;
  reportedCount: number;
  expectedCount: number;
  lastReportedAt: Date | null;
}

interface FigureRow {
  indicator_id: number;
  region_code: string;
  expected: string;
  reported: string;
  total: string | null;
  average: string | null;
  minimum: string | null;
  maximum: string | null;
  numerator: string | null;
  denominator: string | null;
  with_ratio: string;
  last_reported_at: Date | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

/**
 * Rolls up the figures of many indicator × region pairs for one day in one statement: for each
 * pair, the latest figure that counts of every region at the indicator's reporting level in the
 * subtree, as it stood at the end of the day, aggregated as the indicator says.
 */
export async function rollUp(em: EntityManager, indicators: Map<number, Indicator>, keys: { indicatorId: number; regionCode: string }[], asOf: string, timeZone: string): Promise<Map<string, Figures>> {
  const rows: FigureRow[] = await em.getConnection().execute(`
    with keys as (
      select k.indicator_id, k.region_code, r.path, i.reporting_level
      from unnest(?::int[], ?::text[]) as k(indicator_id, region_code)
      join region r on r.code = k.region_code
      join indicator i on i.id = k.indicator_id
    ), latest as (
      select distinct on (s.indicator_id, s.region_code)
        s.indicator_id, s.region_code, s.value, s.numerator, s.denominator, s.submitted_at
      from submission s
      where s.indicator_id in (select indicator_id from keys)
        and s.as_of <= ?::date
        and s.submitted_at < ((?::date + 1)::timestamp at time zone ?)
        and s.status <> 'RETURNED'
      order by s.indicator_id, s.region_code, s.as_of desc, s.submitted_at desc, s.id desc
    )
    select k.indicator_id, k.region_code,
      count(d.code) as expected, count(l.region_code) as reported,
      sum(l.value) as total, avg(l.value) as average, min(l.value) as minimum, max(l.value) as maximum,
      sum(l.numerator) as numerator, sum(l.denominator) as denominator,
      count(l.denominator) filter (where l.numerator is not null and l.denominator > 0) as with_ratio,
      max(l.submitted_at) as last_reported_at
    from keys k
    left join region d on d.path like k.path || '%' and d.level = k.reporting_level
    left join latest l on l.indicator_id = k.indicator_id and l.region_code = d.code
    group by k.indicator_id, k.region_code`,
    [pgArray(keys.map((k) => k.indicatorId)), pgArray(keys.map((k) => k.regionCode)), asOf, asOf, timeZone]);
  const byKey = new Map<string, Figures>();
  for (const row of rows) {
    const reported = Number(row.reported);
    let actual: number | null = null;
    if (reported > 0) {
      switch (indicators.get(Number(row.indicator_id))?.aggregation) {
        case Aggregation.RATIO:
          // Ratio of sums where every figure carries its numerator and denominator; else the mean.
          actual = Number(row.with_ratio) === reported
            ? (100 * Number(row.numerator)) / Number(row.denominator)
            : num(row.average);
          break;
        case Aggregation.AVERAGE: actual = num(row.average); break;
        case Aggregation.MIN: actual = num(row.minimum); break;
        case Aggregation.MAX: actual = num(row.maximum); break;
        default: actual = num(row.total);
      }
    }
    byKey.set(`${row.indicator_id}|${row.region_code}`, {
      actual,
      reportedCount: reported,
      expectedCount: Number(row.expected),
      lastReportedAt: row.last_reported_at ? new Date(row.last_reported_at) : null,
    });
  }
  return byKey;
}

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
const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY;

export function isMet(indicator: Indicator, target: Target, actual: number): boolean {
  if (indicator.kind === IndicatorKind.MILESTONE && target.value == null) return actual >= 1;
  switch (target.comparator) {
    case Comparator.GTE: return actual >= target.value!;
    case Comparator.LTE: return actual <= target.value!;
    case Comparator.EQ: return actual === target.value;
    case Comparator.RANGE: return actual >= target.min! && actual <= target.max!;
  }
}

/** The value the target asks for, for completion and pace: the value, or the low end of a range, or 1 for a milestone. */
function goal(indicator: Indicator, target: Target): number | null {
  if (target.comparator === Comparator.RANGE) return target.min ?? null;
  if (target.value != null) return target.value;
  return indicator.kind === IndicatorKind.MILESTONE ? 1 : null;
}

/** Judges rolled-up figures against the target that applies: completion, pace and status. */
export function judge(indicator: Indicator, region: Region, key: ProgressKey, figures: Figures, targets: Target[], startsOn: string): Progress {
  const target = applicableTarget(targets, key.asOf);
  const progress: Progress = Object.assign(new Progress(), {
    indicator, region, asOf: key.asOf, ...figures, target,
    completion: null, expectedByNow: null, status: ProgressStatus.NO_TARGET, forecast: null,
  });
  if (!target) return progress;
  const { actual } = figures;
  const want = goal(indicator, target);
  const down = indicator.direction === Direction.DOWN || target.comparator === Comparator.LTE;
  if (want !== null) {
    const deadline = target.deadline ?? `${startsOn.slice(0, 4)}-12-31`;
    const share = Math.min(1, Math.max(0, (days(startsOn, key.asOf) + 1) / (days(startsOn, deadline) + 1)));
    const from = indicator.baseline ?? (down ? null : 0);
    progress.expectedByNow = from === null ? want : from + (want - from) * share;
    if (actual !== null) {
      progress.completion = down ? (actual === 0 ? null : want / actual) : want === 0 ? null : actual / want;
    }
  }
  if (actual === null) {
    progress.status = target.deadline && key.asOf > target.deadline ? ProgressStatus.OVERDUE : ProgressStatus.NOT_STARTED;
  } else if (isMet(indicator, target, actual)) {
    progress.status = ProgressStatus.ACHIEVED;
  } else if (target.deadline && key.asOf > target.deadline) {
    progress.status = ProgressStatus.OVERDUE;
  } else if (progress.expectedByNow === null || indicator.kind === IndicatorKind.MILESTONE) {
    progress.status = ProgressStatus.NOT_STARTED;
  } else {
    const expected = progress.expectedByNow;
    const pace = down ? (actual === 0 ? Infinity : expected / actual) : expected === 0 ? Infinity : actual / expected;
    progress.status = pace >= ON_TRACK_FROM ? ProgressStatus.ON_TRACK : pace >= AT_RISK_FROM ? ProgressStatus.AT_RISK : ProgressStatus.BEHIND;
  }
  return progress;
}
