import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';

/** An indicator in a region. */
export interface RollupKey {
  indicatorId: number;
  regionCode: string;
}

export const keyString = (k: RollupKey) => `${k.indicatorId}|${k.regionCode}`;

const keyParams = (keys: readonly RollupKey[]) => [pgArray(keys.map((k) => k.indicatorId)), pgArray(keys.map((k) => k.regionCode))];

/** A region's depth in the tree, from its materialised path: `/330000/330300/` is 2. */
const DEPTH = (path: string) => `(length(${path}) - length(replace(${path}, '/', '')) - 1)`;

const COLUMNS = 'indicator_id, region_code, reported, total, minimum, maximum, numerator, denominator, with_ratio, last_reported_at, last_as_of';

/** A row's aggregates combined from its children's rows (`r`), grouped by the parent. */
const COMBINED = `
  sum(r.reported)::int, sum(r.total), min(r.minimum), max(r.maximum), sum(r.numerator), sum(r.denominator),
  sum(r.with_ratio)::int, max(r.last_reported_at), max(r.last_as_of)`;

const UPSERT = `
  on conflict (indicator_id, region_code) do update set
    reported = excluded.reported, total = excluded.total, minimum = excluded.minimum, maximum = excluded.maximum,
    numerator = excluded.numerator, denominator = excluded.denominator, with_ratio = excluded.with_ratio,
    last_reported_at = excluded.last_reported_at, last_as_of = excluded.last_as_of`;

/** A reporting region's own row: its latest figure that counts (`l`). */
const LEAF_VALUES = `
  1, l.value, l.value, l.value, l.numerator, l.denominator,
  case when l.numerator is not null and l.denominator is not null then 1 else 0 end, l.submitted_at, l.as_of`;

/**
 * Sets the rows of reporting regions (`leaves`) to their latest figure that counts now, or removes
 * them where none does: one index probe per leaf. A key whose region is not at its indicator's
 * reporting level gets no row.
 */
export async function foldLeaves(tx: EntityManager, leaves: readonly RollupKey[]): Promise<void> {
  if (leaves.length === 0) return;
  await tx.execute(`
    with k as (select * from unnest(?::int[], ?::text[]) as k(indicator_id, region_code)),
    latest as (
      select k.indicator_id, k.region_code, ${LEAF_VALUES}
      from k
      join indicator i on i.id = k.indicator_id
      join programme p on p.id = i.programme_id
      join region g on g.code = k.region_code and g.level = i.reporting_level
      cross join lateral (
        select s.value, s.numerator, s.denominator, s.as_of, s.submitted_at from submission s
        where s.indicator_id = k.indicator_id and s.region_code = k.region_code and s.status::text = any(p.counted_statuses)
        order by s.as_of desc, s.id desc limit 1
      ) l
    ),
    gone as (
      delete from progress_rollup r using k
      where r.indicator_id = k.indicator_id and r.region_code = k.region_code
        and not exists (select 1 from latest x where x.indicator_id = k.indicator_id and x.region_code = k.region_code)
    )
    insert into progress_rollup (${COLUMNS}) select * from latest ${UPSERT}`, keyParams(leaves));
}

/**
 * Sets the rows of `parents` (regions of one depth) from their children's rows: the cost is the
 * children of each, whatever lies further below. A parent none of whose children has a row has none.
 */
export async function combineChildren(tx: EntityManager, parents: readonly RollupKey[]): Promise<void> {
  if (parents.length === 0) return;
  await tx.execute(`
    with k as (select * from unnest(?::int[], ?::text[]) as k(indicator_id, region_code)),
    combined as (
      select k.indicator_id, k.region_code, ${COMBINED}
      from k
      join region c on c.parent_code = k.region_code
      join progress_rollup r on r.indicator_id = k.indicator_id and r.region_code = c.code
      group by k.indicator_id, k.region_code
    ),
    gone as (
      delete from progress_rollup r using k
      where r.indicator_id = k.indicator_id and r.region_code = k.region_code
        and not exists (select 1 from combined x where x.indicator_id = k.indicator_id and x.region_code = k.region_code)
    )
    insert into progress_rollup (${COLUMNS}) select * from combined ${UPSERT}`, keyParams(parents));
}

/** The ancestors of regions, from their paths: code → its ancestors' codes, nearest first, and each code's depth. */
export async function ancestorsOf(tx: EntityManager, codes: readonly string[]): Promise<{ ancestors: Map<string, string[]>; depth: Map<string, number> }> {
  const rows = codes.length === 0 ? [] : await tx.execute<{ code: string; path: string }[]>(
    'select code, path from region where code = any(?::text[])', [pgArray([...new Set(codes)])]);
  const ancestors = new Map<string, string[]>();
  const depth = new Map<string, number>();
  for (const { code, path } of rows) {
    const chain = path.split('/').filter(Boolean);
    chain.forEach((c, i) => depth.set(c, i + 1));
    ancestors.set(code, chain.slice(0, -1).reverse());
  }
  return { ancestors, depth };
}

/**
 * Moves `leaves` and then every ancestor of theirs, deepest first, one statement per depth.
 * Returns every key moved, deepest first.
 */
export async function foldFigures(tx: EntityManager, leaves: readonly RollupKey[]): Promise<RollupKey[]> {
  await foldLeaves(tx, leaves);
  const { ancestors, depth } = await ancestorsOf(tx, leaves.map((l) => l.regionCode));
  const moved = new Map<string, RollupKey & { depth: number }>();
  for (const leaf of leaves) {
    for (const code of [leaf.regionCode, ...(ancestors.get(leaf.regionCode) ?? [])]) {
      const key = { indicatorId: leaf.indicatorId, regionCode: code, depth: depth.get(code) ?? 0 };
      moved.set(keyString(key), key);
    }
  }
  const leafKeys = new Set(leaves.map(keyString));
  const parents = [...moved.values()].filter((k) => !leafKeys.has(keyString(k)));
  const depths = [...new Set(parents.map((p) => p.depth))].sort((a, b) => b - a);
  for (const d of depths) await combineChildren(tx, parents.filter((p) => p.depth === d));
  return [...moved.values()].sort((a, b) => b.depth - a.depth).map(({ indicatorId, regionCode }) => ({ indicatorId, regionCode }));
}

/**
 * Builds the rows of `indicatorIds` (every indicator when undefined) from the figures: the leaves
 * in one statement, then one statement per depth of the tree, deepest first. Returns the keys that
 * had a row before or have one now.
 */
export async function rebuildRollups(tx: EntityManager, indicatorIds?: readonly number[]): Promise<RollupKey[]> {
  const only = (column: string) => (indicatorIds ? `and ${column} = any(?::int[])` : '');
  const ids = indicatorIds ? [pgArray(indicatorIds)] : [];
  const before = await tx.execute<{ indicator_id: number; region_code: string }[]>(
    `select indicator_id, region_code from progress_rollup where true ${only('indicator_id')}`, ids);
  await tx.execute(`delete from progress_rollup where true ${only('indicator_id')}`, ids);
  await tx.execute(`
    insert into progress_rollup (${COLUMNS})
    select distinct on (l.indicator_id, l.region_code) l.indicator_id, l.region_code, ${LEAF_VALUES}
    from submission l
    join indicator i on i.id = l.indicator_id
    join programme p on p.id = i.programme_id
    join region g on g.code = l.region_code and g.level = i.reporting_level
    where l.status::text = any(p.counted_statuses) ${only('l.indicator_id')}
    order by l.indicator_id, l.region_code, l.as_of desc, l.id desc`, ids);
  const [{ deepest }] = await tx.execute<{ deepest: number | null }[]>(
    `select max(${DEPTH('g.path')}) as deepest from progress_rollup r join region g on g.code = r.region_code`);
  for (let d = Number(deepest ?? 0); d >= 2; d--) {
    await tx.execute(`
      insert into progress_rollup (${COLUMNS})
      select r.indicator_id, c.parent_code, ${COMBINED}
      from progress_rollup r join region c on c.code = r.region_code
      where c.parent_code is not null and ${DEPTH('c.path')} = ? ${only('r.indicator_id')}
      group by r.indicator_id, c.parent_code
      on conflict (indicator_id, region_code) do nothing`, [d, ...ids]);
  }
  const after = await tx.execute<{ indicator_id: number; region_code: string }[]>(
    `select indicator_id, region_code from progress_rollup where true ${only('indicator_id')}`, ids);
  const keys = new Map<string, RollupKey>();
  for (const row of [...before, ...after]) {
    const key = { indicatorId: Number(row.indicator_id), regionCode: row.region_code };
    keys.set(keyString(key), key);
  }
  return [...keys.values()];
}

/** Counts every subtree's regions per level (the region itself included): the boards' expected counts. */
export async function recountRegions(tx: EntityManager): Promise<void> {
  await tx.execute('delete from region_count');
  await tx.execute(`
    insert into region_count (region_code, level, regions)
    select a.code, d.level, count(*)::int
    from region d cross join lateral unnest(string_to_array(trim(both '/' from d.path), '/')) as a(code)
    group by a.code, d.level`);
}

/** The maintained aggregates of `keys`, as the read-time roll-up (progress/progress.sql.ts) reads them, and whether each holds on `asOf`. */
export interface MaintainedRow {
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
  last_as_of: string | null;
  /** False where a figure below is dated after `asOf` or was entered after its end (a clock moved back): read at read time instead. */
  holds: boolean;
}

/** One statement: the rows of `keys` with the expected counts of their regions; a key without a row has reported nothing. */
export async function readRollups(em: EntityManager, keys: readonly RollupKey[], asOf: string, timeZone: string): Promise<MaintainedRow[]> {
  return em.execute<MaintainedRow[]>(`
    select k.indicator_id, k.region_code, coalesce(c.regions, 0) as expected, coalesce(r.reported, 0) as reported,
      r.total, r.total / nullif(r.reported, 0)::numeric as average, r.minimum, r.maximum, r.numerator, r.denominator,
      coalesce(r.with_ratio, 0) as with_ratio, r.last_reported_at, to_char(r.last_as_of, 'YYYY-MM-DD') as last_as_of,
      r.last_as_of is null or (r.last_as_of <= ?::date and r.last_reported_at < ((?::date + 1)::timestamp at time zone ?)) as holds
    from unnest(?::int[], ?::text[]) as k(indicator_id, region_code)
    join indicator i on i.id = k.indicator_id
    left join region_count c on c.region_code = k.region_code and c.level = i.reporting_level
    left join progress_rollup r on r.indicator_id = k.indicator_id and r.region_code = k.region_code`,
  [asOf, asOf, timeZone, ...keyParams(keys)]);
}

/** Whether the projection has folded every fact appended (else a read of today reads at read time). */
export async function projectionIsCurrent(em: EntityManager): Promise<boolean> {
  const [row] = await em.execute<{ current: boolean }[]>(`
    select not p.rebuild and p.last_folded >= s.last_fact_seq as current from projection_state p, outbox_sequence s where p.id and s.id`);
  return row?.current ?? false;
}
