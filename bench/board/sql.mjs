/**
 * The SQL of the board benchmark: the views PostGraphile serves (schema `bench`, created by the
 * bench, never by a migration) and the one hand-written statement of the raw baseline. Both follow
 * the roll-up and judgement of src/modules/progress/progress.sql.ts and progress.judge.ts:
 *
 * - a submission counts as of day D when as_of <= D, it was entered before the end of D in the
 *   server's time zone, and it was not returned; per indicator × reporting region the latest
 *   counted one (as_of desc, id desc: the last entered) stands;
 * - the actual of indicator × region R aggregates those of the regions at the indicator's
 *   reporting level whose path starts with R's (SUM, RATIO of sums else mean, AVERAGE, MIN, MAX);
 * - the target is R's with the earliest deadline >= D, else one without deadline, else the last;
 * - completion, expected-by-now and status as `judge()`; a region without a target above regions
 *   with one is judged "n of m met" as `judgeByChildren()`.
 *
 * Figures are float8 (JavaScript numbers), computed in the same order of operations as Duban's.
 */

/** @typedef {{ asOf: string; timeZone: string; onTrackFrom: number; atRiskFrom: number }} Semantics */

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A SQL string literal. */
export const literal = (value) => `'${String(value).replace(/'/g, "''")}'`;

/** The latest counted figure of indicator `i` in region `d` as of `day` (a lateral subquery). */
function latestOf(i, d, day, zone) {
  return `
    select s.region_code, s.value, s.numerator, s.denominator, s.submitted_at
    from public.submission s
    where s.indicator_id = ${i}.id and s.region_code = ${d}.code
      and s.as_of <= ${day} and s.submitted_at < ((${day} + 1)::timestamp at time zone ${zone})
      and s.status <> 'RETURNED'
    order by s.as_of desc, s.id desc
    limit 1`;
}

/** The aggregates of the latest figures `l` of the regions `d` below (as AGGREGATES in progress.sql.ts). */
const AGGREGATES = (d, l) => `
  count(${d}.code)::int as expected_count, count(${l}.region_code)::int as reported_count,
  max(${l}.submitted_at) as last_reported_at,
  sum(${l}.value) as total, avg(${l}.value) as average, min(${l}.value) as minimum, max(${l}.value) as maximum,
  sum(${l}.numerator) as numerator, sum(${l}.denominator) as denominator,
  count(${l}.denominator) filter (where ${l}.numerator is not null and ${l}.denominator is not null) as with_ratio`;

/** The figure a row of AGGREGATES stands for, as indicator `i` rolls up (`aggregate()`). */
const ACTUAL = (i, a) => `
  case when ${a}.reported_count = 0 then null
       when ${i}.aggregation = 'RATIO' then
         case when ${a}.with_ratio = ${a}.reported_count and ${a}.denominator > 0
              then 100 * ${a}.numerator::float8 / ${a}.denominator::float8
              else ${a}.average::float8 end
       when ${i}.aggregation = 'AVERAGE' then ${a}.average::float8
       when ${i}.aggregation = 'MIN' then ${a}.minimum::float8
       when ${i}.aggregation = 'MAX' then ${a}.maximum::float8
       else ${a}.total::float8 end`;

/** The order that puts the applicable target first (`applicableTarget()`). */
const TARGET_ORDER = (t, day) => `
  case when ${t}.deadline >= ${day} then 0 when ${t}.deadline is null then 1 else 2 end,
  case when ${t}.deadline >= ${day} then ${t}.deadline end asc,
  ${t}.deadline desc`;

/**
 * Judges the rows of `x` (columns kind, direction, baseline, starts_on, ends_on, actual,
 * target_id, target_value, target_min, target_max, target_comparator, target_deadline): joins
 * laterals j (want, down, deadline), e (expected_by_now, completion, met), s (status), as `judge()`.
 * Comparisons with a missing bound use 0, as JavaScript's `actual >= null` does.
 */
function judgement(x, day, { onTrackFrom, atRiskFrom }) {
  return `
  cross join lateral (
    select
      case when ${x}.target_comparator = 'RANGE' then ${x}.target_min
           when ${x}.target_value is not null then ${x}.target_value
           when ${x}.kind = 'MILESTONE' then 1::float8 end as want,
      coalesce(${x}.target_comparator = 'LTE'
        or (${x}.direction = 'DOWN' and ${x}.target_comparator not in ('GTE', 'RANGE')), false) as down,
      coalesce(${x}.target_deadline, ${x}.ends_on) as deadline
  ) j
  cross join lateral (
    select
      case when ${x}.target_id is null or j.want is null then null
           when ${x}.target_comparator = 'EQ' or (${x}.baseline is null and j.down) then j.want
           else coalesce(${x}.baseline, 0) + (j.want - coalesce(${x}.baseline, 0))
                * least(1, greatest(0, (${day} - ${x}.starts_on + 1)::float8 / (j.deadline - ${x}.starts_on + 1)))
      end as expected_by_now,
      case when ${x}.target_id is null or j.want is null or ${x}.actual is null then null
           when j.down then case when ${x}.actual = 0 then null else j.want / ${x}.actual end
           else case when j.want = 0 then null else ${x}.actual / j.want end
      end as completion,
      coalesce(${x}.target_id is not null and ${x}.actual is not null and case
        when ${x}.kind = 'MILESTONE' and ${x}.target_value is null then ${x}.actual >= 1
        when ${x}.target_comparator = 'GTE' then ${x}.actual >= coalesce(${x}.target_value, 0)
        when ${x}.target_comparator = 'LTE' then ${x}.actual <= coalesce(${x}.target_value, 0)
        when ${x}.target_comparator = 'EQ' then abs(${x}.actual - coalesce(${x}.target_value, 0)) < 1e-9
        else ${x}.actual >= coalesce(${x}.target_min, 0) and ${x}.actual <= coalesce(${x}.target_max, 0) end, false) as met
  ) e
  cross join lateral (
    select case
      when ${x}.target_id is null then 'NO_TARGET'
      when e.met then 'ACHIEVED'
      when ${day} > j.deadline then 'OVERDUE'
      when ${x}.actual is null then 'NOT_STARTED'
      when ${x}.kind = 'MILESTONE' or e.expected_by_now is null then 'ON_TRACK'
      else (select case when pace >= ${onTrackFrom} then 'ON_TRACK' when pace >= ${atRiskFrom} then 'AT_RISK' else 'BEHIND' end
            from (select case
              when j.down then case when ${x}.actual = 0 then 'Infinity'::float8 else e.expected_by_now / ${x}.actual end
              else case when e.expected_by_now = 0 then 'Infinity'::float8 else ${x}.actual / e.expected_by_now end
            end as pace) p)
    end as status
  ) s`;
}

/** "n of m met" over the judged children `c` (`judgeByChildren()`): met, met_of, completion, status. */
const BY_CHILDREN = (c) => `
  count(*) filter (where ${c}.met)::int as met, count(*)::int as met_of,
  (count(*) filter (where ${c}.met))::float8 / count(*) as completion,
  case when bool_and(${c}.met) then 'ACHIEVED'
       when bool_and(${c}.met or ${c}.status = 'NOT_STARTED') then 'NOT_STARTED'
       when bool_or(${c}.status = 'OVERDUE') then 'OVERDUE'
       when bool_or(${c}.status = 'BEHIND') then 'BEHIND'
       when bool_or(${c}.status = 'AT_RISK') then 'AT_RISK'
       when bool_or(${c}.status = 'ON_TRACK') then 'ON_TRACK'
       else 'BEHIND' end as status`;

/**
 * The views PostGraphile serves, for a day fixed at creation (Duban's demo clock is pinned the same
 * way): `bench.programme`, `bench.indicator` and `bench.progress` (one row per indicator × region,
 * with its parent's code), tied together by smart comments so that a board is one nested query.
 * `bench.figures` (before "n of m met") is hidden from the schema.
 * @param {Semantics} semantics
 */
export function viewsSql(semantics) {
  if (!DATE.test(semantics.asOf)) throw new Error(`not a date: ${semantics.asOf}`);
  const day = `${literal(semantics.asOf)}::date`;
  const zone = literal(semantics.timeZone);
  return `
drop schema if exists bench cascade;
create schema bench;

create view bench.programme as
  select id, code, name, starts_on, ends_on from public.programme;
comment on view bench.programme is E'@primaryKey id\\n@unique code';

create view bench.indicator as
  select id, programme_id, code, name, unit, kind, position from public.indicator;
comment on view bench.indicator is E'@primaryKey id\\n@foreignKey (programme_id) references bench.programme (id)|@fieldName programme|@foreignFieldName indicators';

create view bench.figures as
select x.*, j.deadline, e.expected_by_now, e.completion, e.met, s.status
from (
  select i.id as indicator_id, i.position, i.kind, i.direction, i.baseline, p.starts_on, p.ends_on,
    r.code as region_code, r.name as region_name, r.parent_code,
    a.expected_count, a.reported_count, a.last_reported_at, ${ACTUAL('i', 'a')} as actual,
    t.id as target_id, t.value::float8 as target_value, t.min::float8 as target_min, t.max::float8 as target_max,
    t.comparator as target_comparator, t.deadline as target_deadline
  from public.indicator i
  join public.programme p on p.id = i.programme_id
  cross join public.region r
  cross join lateral (
    select ${AGGREGATES('d', 'l')}
    from public.region d
    left join lateral (${latestOf('i', 'd', day, zone)}) l on true
    where d.path like r.path || '%' and d.level = i.reporting_level
  ) a
  left join lateral (
    select t.* from public.target t
    where t.indicator_id = i.id and t.region_code = r.code
    order by ${TARGET_ORDER('t', day)}
    limit 1
  ) t on true
) x ${judgement('x', day, semantics)};
comment on view bench.figures is '@omit';

create view bench.progress as
select f.indicator_id, f.region_code, f.region_name, f.parent_code, f.position, f.actual,
  f.target_value, f.target_min, f.target_max, f.target_comparator, f.target_deadline,
  coalesce(b.completion, f.completion) as completion, f.expected_by_now, coalesce(b.status, f.status) as status,
  f.reported_count, f.expected_count, f.last_reported_at, b.met, b.met_of
from bench.figures f
left join lateral (
  select ${BY_CHILDREN('c')}
  from bench.figures c
  where f.target_id is null
    and exists (select 1 from public.target ct join public.region cr on cr.code = ct.region_code
                where ct.indicator_id = f.indicator_id and cr.parent_code = f.region_code)
    and c.indicator_id = f.indicator_id and c.parent_code = f.region_code and c.target_id is not null
  having count(*) > 0
) b on true;
comment on view bench.progress is E'@primaryKey indicator_id,region_code\\n@foreignKey (indicator_id) references bench.indicator (id)|@fieldName indicator|@foreignFieldName progress\\n@foreignKey (indicator_id, parent_code) references bench.progress (indicator_id, region_code)|@fieldName parent|@foreignFieldName children';
`;
}

/** A progress row as JSON, in the shape of Duban's `Progress` (without `forecast`). */
const progressJson = (p, children) => `json_build_object(
  'region', json_build_object('code', ${p}.region_code, 'name', ${p}.region_name),
  'actual', ${p}.actual,
  'target', case when ${p}.target_id is null then null else json_build_object(
    'value', ${p}.target_value, 'min', ${p}.target_min, 'max', ${p}.target_max,
    'comparator', ${p}.target_comparator, 'deadline', ${p}.target_deadline) end,
  'completion', ${p}.completion,
  'expectedByNow', ${p}.expected_by_now,
  'status', ${p}.status,
  'reportedCount', ${p}.reported_count,
  'expectedCount', ${p}.expected_count,
  'lastReportedAt', to_char(${p}.last_reported_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'children', ${children})`;

const childJson = (c) => `json_build_object(
  'region', json_build_object('code', ${c}.region_code, 'name', ${c}.region_name),
  'actual', ${c}.actual,
  'target', case when ${c}.target_id is null then null else json_build_object(
    'value', ${c}.target_value, 'comparator', ${c}.target_comparator, 'deadline', ${c}.target_deadline) end,
  'completion', ${c}.completion,
  'status', ${c}.status)`;

/**
 * The raw baseline: the whole board in one statement, as the JSON of a GraphQL response in Duban's
 * shape. $1 programme code, $2 region code, $3 day, $4 time zone. The roll-up has the form of
 * Duban's (keys × regions below, latest figures by DISTINCT ON, one GROUP BY); "n of m met" is
 * applied to the board's region (its children's children are not read).
 * @param {Pick<Semantics, 'onTrackFrom' | 'atRiskFrom'>} semantics
 */
export function rawBoardSql(semantics) {
  const day = '$3::date';
  return `
with prog as (
  select id, code, name, starts_on, ends_on from programme where code = $1
), ind as (
  select i.* from indicator i join prog p on i.programme_id = p.id
), reg as (
  select code, name, path, parent_code from region where code = $2 or parent_code = $2
), keys as (
  select i.id as indicator_id, i.reporting_level, r.code as region_code, r.path from ind i cross join reg r
), latest as (
  select distinct on (s.indicator_id, s.region_code) s.indicator_id, s.region_code, s.value, s.numerator, s.denominator, s.submitted_at
  from submission s
  where s.indicator_id in (select id from ind)
    and s.as_of <= ${day} and s.submitted_at < ((${day} + 1)::timestamp at time zone $4)
    and s.status <> 'RETURNED'
  order by s.indicator_id, s.region_code, s.as_of desc, s.id desc
), agg as (
  select k.indicator_id, k.region_code, ${AGGREGATES('d', 'l')}
  from keys k
  left join region d on d.path like k.path || '%' and d.level = k.reporting_level
  left join latest l on l.indicator_id = k.indicator_id and l.region_code = d.code
  group by k.indicator_id, k.region_code
), judged as (
  select x.*, e.expected_by_now, e.completion, e.met, s.status
  from (
    select i.id as indicator_id, i.kind, i.direction, i.baseline, p.starts_on, p.ends_on,
      r.code as region_code, r.name as region_name, r.parent_code,
      a.expected_count, a.reported_count, a.last_reported_at, ${ACTUAL('i', 'a')} as actual,
      t.id as target_id, t.value::float8 as target_value, t.min::float8 as target_min, t.max::float8 as target_max,
      t.comparator as target_comparator, t.deadline as target_deadline
    from agg a
    join ind i on i.id = a.indicator_id
    join reg r on r.code = a.region_code
    cross join prog p
    left join lateral (
      select t.* from target t
      where t.indicator_id = a.indicator_id and t.region_code = a.region_code
      order by ${TARGET_ORDER('t', day)}
      limit 1
    ) t on true
  ) x ${judgement('x', day, semantics)}
), top as (
  select j.indicator_id, j.region_code, j.region_name, j.actual, j.target_id, j.target_value, j.target_min, j.target_max,
    j.target_comparator, j.target_deadline, coalesce(b.completion, j.completion) as completion, j.expected_by_now,
    coalesce(b.status, j.status) as status, j.reported_count, j.expected_count, j.last_reported_at
  from judged j
  left join lateral (
    select ${BY_CHILDREN('c')}
    from judged c
    where c.indicator_id = j.indicator_id and c.parent_code = j.region_code and c.target_id is not null
    having count(*) > 0
  ) b on j.target_id is null
  where j.region_code = $2
)
select json_build_object('data', json_build_object('programme', (
  select json_build_object('code', p.code, 'name', p.name, 'indicators', coalesce((
    select json_agg(json_build_object('code', i.code, 'name', i.name, 'unit', i.unit, 'kind', i.kind,
      'progress', ${progressJson('t', `(
        select coalesce(json_agg(${childJson('c')} order by c.region_code), '[]')
        from judged c where c.indicator_id = i.id and c.parent_code = $2)`)}) order by i.position)
    from ind i join top t on t.indicator_id = i.id), '[]'))
  from prog p)))::text as body`;
}
