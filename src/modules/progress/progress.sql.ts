import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';
import { Aggregation, Indicator } from '../indicator/indicator.entity';

/*
 * The read-time roll-up in SQL: the figures of an indicator × region as they stood at the end of a
 * day, and their history. Today's boards read the projector's maintained roll-ups instead
 * (projection/rollup.sql.ts); a day in the past, a history and a forecast read these.
 */

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
  /** The latest as-of date among the figures rolled up. */
  lastAsOf: string | null;
}

/** One row of a roll-up: the aggregates of the latest figures of the regions below. */
export interface AggregateRow {
  expected: string;
  reported: string;
  total: string | null;
  average: string | null;
  minimum: string | null;
  maximum: string | null;
  numerator: string | null;
  denominator: string | null;
  with_ratio: string;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

/** The figure an aggregate row stands for, as the indicator rolls up. */
export function aggregate(aggregation: Aggregation, row: AggregateRow): number | null {
  const reported = Number(row.reported);
  if (reported === 0) return null;
  switch (aggregation) {
    case Aggregation.RATIO:
      // Ratio of sums where every figure carries its numerator and denominator; else the mean.
      return Number(row.with_ratio) === reported && Number(row.denominator) > 0
        ? (100 * Number(row.numerator)) / Number(row.denominator)
        : num(row.average);
    case Aggregation.AVERAGE: return num(row.average);
    case Aggregation.MIN: return num(row.minimum);
    case Aggregation.MAX: return num(row.maximum);
    default: return num(row.total);
  }
}

/**
 * A subtree is a range of the path index (text_pattern_ops, byte order whatever the collation):
 * paths are digits and slashes, so every path under
 * `/330000/330300/` sorts from it to it followed by '~' (a per-key range scan, where LIKE with a
 * pattern from a column could not use the index). The regions below a key that report are one
 * range of the (level, path) index (`BELOW`): at the nation, 41k townships of 665k regions, read
 * per key, not the whole table filtered for every key (`offset 0` keeps the planner from
 * flattening it into a hash join on the level alone).
 *
 * SQL shared by the roll-up and the history: `keys` (indicator × region with its path, the
 * indicator's reporting level and the review statuses its programme counts, from two array
 * parameters). A figure counts as of the end of a day when it was entered by then and its status
 * is one the programme counts (`status = any(counted)`, carried from the key to the rows below it).
 */
const KEYS = `
  keys as (
    select k.indicator_id, k.region_code, r.path, i.reporting_level, p.counted_statuses as counted
    from unnest(?::int[], ?::text[]) as k(indicator_id, region_code)
    join region r on r.code = k.region_code
    join indicator i on i.id = k.indicator_id
    join programme p on p.id = i.programme_id
  )`;

/** The regions at the key's reporting level in its subtree (a lateral subquery over `keys k`). */
const BELOW = `
  select d.code from region d
  where d.level = k.reporting_level and d.path ~>=~ k.path and d.path ~<~ (k.path || '~')
  offset 0`;

const AGGREGATES = `
  count(d.code) as expected, count(l.region_code) as reported,
  sum(l.value) as total, avg(l.value) as average, min(l.value) as minimum, max(l.value) as maximum,
  sum(l.numerator) as numerator, sum(l.denominator) as denominator,
  count(l.denominator) filter (where l.numerator is not null and l.denominator is not null) as with_ratio`;

function keyParams(keys: { indicatorId: number; regionCode: string }[]): unknown[] {
  return [pgArray(keys.map((k) => k.indicatorId)), pgArray(keys.map((k) => k.regionCode))];
}

/**
 * Rolls up the figures of many indicator × region pairs for one day in one statement: for each
 * pair, the latest figure that counts of every region at the indicator's reporting level in the
 * subtree, as it stood at the end of the day, aggregated as the indicator says.
 */
export async function rollUp(em: EntityManager, indicators: Map<number, Indicator>, keys: { indicatorId: number; regionCode: string }[], asOf: string, timeZone: string): Promise<Map<string, Figures>> {
  const rows: (AggregateRow & { indicator_id: number; region_code: string; last_reported_at: Date | null; last_as_of: string | null })[] =
    await em.execute(`
    with ${KEYS}
    -- per key, every reporter below and its latest figure that counts (one probe of submission_latest_idx each)
    select k.indicator_id, k.region_code, ${AGGREGATES},
      max(l.submitted_at) as last_reported_at, to_char(max(l.as_of), 'YYYY-MM-DD') as last_as_of
    from keys k
    left join lateral (${BELOW}) d on true
    left join lateral (
      select s.region_code, s.value, s.numerator, s.denominator, s.as_of, s.submitted_at from submission s
      where s.indicator_id = k.indicator_id and s.region_code = d.code
        and s.as_of <= ?::date and s.submitted_at < ((?::date + 1)::timestamp at time zone ?) and s.status::text = any(k.counted)
      order by s.as_of desc, s.id desc
      limit 1
    ) l on true
    group by k.indicator_id, k.region_code`, [...keyParams(keys), asOf, asOf, timeZone]);
  const byKey = new Map<string, Figures>();
  for (const row of rows) {
    const indicator = indicators.get(Number(row.indicator_id))!;
    byKey.set(`${row.indicator_id}|${row.region_code}`, {
      actual: aggregate(indicator.aggregation, row),
      reportedCount: Number(row.reported),
      expectedCount: Number(row.expected),
      lastReportedAt: row.last_reported_at ? new Date(row.last_reported_at) : null,
      lastAsOf: row.last_as_of,
    });
  }
  return byKey;
}

export interface HistoryPoint {
  asOf: string;
  actual: number;
}

/**
 * The rolled-up figure of many indicator × region pairs on every day a figure below was reported,
 * up to `asOf`, as known at its end: one statement.
 *
 * SUM, AVERAGE and RATIO are running sums: a reporter's figure changes only on the days it
 * reports, so the total on a day is the sum of every change up to it (likewise the numerators,
 * denominators and the count of reporters), which costs one pass over the figures below whatever
 * the number of days. MIN and MAX are not sums of changes: for those the figure of every reporter
 * below is looked up again for every day (days × reporters, fine for a county, not for a nation).
 */
export async function history(em: EntityManager, indicators: Map<number, Indicator>, keys: { indicatorId: number; regionCode: string }[], asOf: string, timeZone: string): Promise<Map<string, HistoryPoint[]>> {
  const rows: (AggregateRow & { indicator_id: number; region_code: string; day: string })[] = await em.execute(`
    with ${KEYS}, below as (
      select k.indicator_id, k.region_code, d.code, d.code as reporter, i.aggregation in ('MIN', 'MAX') as by_scan, k.counted
      from keys k join indicator i on i.id = k.indicator_id cross join lateral (${BELOW}) d
    ), expected as (
      select indicator_id, region_code, count(*) as expected from below group by indicator_id, region_code
    ), figures as (
      -- the figures that count of the reporters below (index probes per reporter, not every figure of the indicator)
      select b.indicator_id, b.region_code, b.reporter, b.by_scan, c.id, c.as_of, c.submitted_at, c.value, c.numerator, c.denominator
      from below b join submission c on c.indicator_id = b.indicator_id and c.region_code = b.reporter
      where c.as_of <= ?::date and c.submitted_at < ((?::date + 1)::timestamp at time zone ?) and c.status::text = any(b.counted)
    ), daily as (
      select distinct on (c.indicator_id, c.region_code, c.reporter, c.as_of)
        c.indicator_id, c.region_code, c.reporter, c.as_of as day, c.value, c.numerator, c.denominator,
        case when c.numerator is not null and c.denominator is not null then 1 else 0 end as has_ratio
      from figures c
      where not c.by_scan
      order by c.indicator_id, c.region_code, c.reporter, c.as_of, c.id desc
    ), changes as (
      select indicator_id, region_code, day,
        sum(value - coalesce(prev_value, 0)) as total, sum(coalesce(numerator, 0) - coalesce(prev_numerator, 0)) as numerator,
        sum(coalesce(denominator, 0) - coalesce(prev_denominator, 0)) as denominator,
        sum(case when prev_day is null then 1 else 0 end) as reported, sum(has_ratio - coalesce(prev_has_ratio, 0)) as with_ratio
      from (
        select x.*, lag(value) over w as prev_value, lag(numerator) over w as prev_numerator, lag(denominator) over w as prev_denominator,
          lag(day) over w as prev_day, lag(has_ratio) over w as prev_has_ratio
        from daily x window w as (partition by indicator_id, region_code, reporter order by day)
      ) y
      group by indicator_id, region_code, day
    ), running as (
      select indicator_id, region_code, day,
        sum(total) over w as total, sum(numerator) over w as numerator, sum(denominator) over w as denominator,
        sum(reported) over w as reported, sum(with_ratio) over w as with_ratio
      from changes window w as (partition by indicator_id, region_code order by day)
    ), days as (
      select distinct c.indicator_id, c.region_code, c.as_of as day from figures c where c.by_scan
    )
    select r.indicator_id, r.region_code, to_char(r.day, 'YYYY-MM-DD') as day, e.expected, r.reported, r.total,
      r.total / nullif(r.reported, 0) as average, null::numeric as minimum, null::numeric as maximum,
      r.numerator, r.denominator, r.with_ratio
    from running r join expected e on e.indicator_id = r.indicator_id and e.region_code = r.region_code
    union all
    select t.indicator_id, t.region_code, to_char(t.day, 'YYYY-MM-DD') as day, ${AGGREGATES}
    from days t
    join below d on d.indicator_id = t.indicator_id and d.region_code = t.region_code
    left join lateral (
      select c.region_code, c.value, c.numerator, c.denominator from submission c
      where c.indicator_id = t.indicator_id and c.region_code = d.reporter and c.as_of <= t.day
        and c.submitted_at < ((?::date + 1)::timestamp at time zone ?) and c.status::text = any(d.counted)
      order by c.as_of desc, c.id desc limit 1
    ) l on true
    group by t.indicator_id, t.region_code, t.day
    order by day`, [...keyParams(keys), asOf, asOf, timeZone, asOf, timeZone]);
  const byKey = new Map<string, HistoryPoint[]>();
  for (const row of rows) {
    const indicator = indicators.get(Number(row.indicator_id))!;
    const actual = aggregate(indicator.aggregation, row);
    if (actual === null) continue;
    const key = `${row.indicator_id}|${row.region_code}`;
    byKey.set(key, [...(byKey.get(key) ?? []), { asOf: row.day, actual }]);
  }
  return byKey;
}
