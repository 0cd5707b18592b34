import DataLoader from 'dataloader';
import { wrap, type EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { pgArray } from '../../common/pg-array';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import type { RegionLoaders } from '../region/region.loader';
import { readChildTargets, readTargetRows, targetsOfRows, type ChildTarget } from '../target/target.rows';
import { projectionIsCurrent, readRollups } from '../projection/rollup.sql';
import { aggregate, history, rollUp, type Figures, type HistoryPoint, type ProgressKey } from './progress.sql';
import { judge, judgeByChildren } from './progress.judge';
import type { Progress } from './progress.types';
import { plansAsOf } from '../trajectory/trajectory.service';
import type { Plan } from '../trajectory/trajectory.plan';

export interface ProgressLoaderOptions {
  /**
   * Where today's figures come from. `auto` (the default): the maintained roll-ups when the
   * projection has folded every fact appended, else the read-time roll-up (a write not yet folded
   * is seen at once). `maintained`: the roll-ups as they stand (the projector, in its transaction).
   * `readTime`: always rolled up from the submissions (what the maintained roll-ups are checked against).
   */
  projection?: 'auto' | 'maintained' | 'readTime';
}

/**
 * Today's figures from the maintained roll-ups: one statement. A row that does not hold for the
 * day (a clock moved back past a figure) is rolled up at read time instead.
 */
async function maintainedFigures(em: EntityManager, indicators: Map<number, Indicator>, keys: ProgressKey[], day: string, timeZone: string): Promise<Map<string, Figures>> {
  const rows = await readRollups(em, keys, day, timeZone);
  const byKey = new Map<string, Figures>();
  const stale: ProgressKey[] = [];
  for (const row of rows) {
    const indicator = indicators.get(Number(row.indicator_id));
    if (!indicator) continue;
    if (!row.holds) {
      stale.push({ indicatorId: Number(row.indicator_id), regionCode: row.region_code, asOf: day });
      continue;
    }
    byKey.set(`${row.indicator_id}|${row.region_code}`, {
      actual: aggregate(indicator.aggregation, row),
      reportedCount: Number(row.reported),
      expectedCount: Number(row.expected),
      lastReportedAt: row.last_reported_at ? new Date(row.last_reported_at) : null,
      lastAsOf: row.last_as_of,
    });
  }
  if (stale.length) for (const [key, figures] of await rollUp(em, indicators, stale, day, timeZone)) byKey.set(key, figures);
  return byKey;
}

export interface ProgressLoaders {
  /** Progress for indicator × region × day. */
  progress: DataLoader<ProgressKey, Progress, string>;
  /** The figure on every day something below was reported, up to the day. */
  history: DataLoader<ProgressKey, HistoryPoint[], string>;
  /** The targets of the children of a region for an indicator: `${indicatorId}|${parentCode}`. */
  childTargets: DataLoader<string, ChildTarget[]>;
  /** A target's planned trajectory as it stood at the end of a day; null without one. */
  plans: DataLoader<{ targetId: number; asOf: string }, Plan | null, string>;
}

const keyOf = (k: ProgressKey) => `${k.indicatorId}|${k.regionCode}|${k.asOf}`;

function byDay(keys: readonly ProgressKey[]): Map<string, ProgressKey[]> {
  const days = new Map<string, ProgressKey[]>();
  for (const key of keys) {
    const day = days.get(key.asOf);
    if (day) day.push(key);
    else days.set(key.asOf, [key]);
  }
  return days;
}

/** Rows by a key, each key's in their order. */
function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/**
 * Runs the reads at once on the pool, or one after another inside a transaction: they would share
 * its one connection, where pg queues them (and pg 9 will refuse a query sent while one runs).
 */
async function together<T extends readonly (() => Promise<unknown>)[]>(em: EntityManager, reads: T): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  if (!em.isInTransaction()) return Promise.all(reads.map((read) => read())) as never;
  const out: unknown[] = [];
  for (const read of reads) out.push(await read());
  return out as never;
}

/**
 * The progress engine's loaders, per request. However many keys a tick asks for, a batch costs a
 * fixed number of statements (indicators, regions, targets, which pairs have targets below, and one
 * roll-up per day asked); a region judged by its children ("n of m met") asks for them in one more
 * batch. So a board costs the same number of statements for 12 counties or 120.
 */
export function createProgressLoaders(em: EntityManager, clock: Clock, regions: RegionLoaders, options: ProgressLoaderOptions = {}): ProgressLoaders {
  // Asked once per request: whether the projection has folded everything appended.
  let current: Promise<boolean> | undefined;
  const fromRollups = (day: string) => day === clock.today() && options.projection !== 'readTime'
    && (options.projection === 'maintained' || (current ??= projectionIsCurrent(em)));

  // Indicators with their programmes, once per request however many batches ask.
  // A board has read them already (its programme's indicators, and the programme): taken from the
  // identity map then, with no statement.
  const indicator = new DataLoader<number, Indicator | undefined>(async (ids) => {
    const known = ids.map((id) => em.getUnitOfWork().getById<Indicator>(Indicator.name, id));
    // (A reference not loaded yet, or one whose programme is not, is read.)
    if (known.every((i) => i && wrap(i).isInitialized() && i.programme && wrap(i.programme).isInitialized())) return known;
    const rows = await em.find(Indicator, { id: { $in: [...ids] } }, { populate: ['programme'] });
    return ids.map((id) => rows.find((i) => i.id === id));
  });
  const indicatorsById = async (ids: number[]) =>
    new Map((await indicator.loadMany(ids)).filter((i): i is Indicator => i instanceof Indicator).map((i) => [i.id, i]));

  const childTargets = new DataLoader<string, ChildTarget[]>(async (pairs) => {
    const indicatorIds = [...new Set(pairs.map((p) => Number(p.split('|')[0])))];
    const parents = [...new Set(pairs.map((p) => p.split('|')[1]))];
    const byPair = groupBy(await readChildTargets(em, indicatorIds, parents), (t) => `${t.indicatorId}|${t.parentCode}`);
    return pairs.map((pair) => byPair.get(pair) ?? []);
  });

  const planLoader = new DataLoader<{ targetId: number; asOf: string }, Plan | null, string>(async (keys) => {
    const plansByDay = new Map<string, Map<number, Plan>>();
    for (const day of new Set(keys.map((k) => k.asOf))) {
      plansByDay.set(day, await plansAsOf(em, [...new Set(keys.filter((k) => k.asOf === day).map((k) => k.targetId))], day, clock.timeZone));
    }
    return keys.map((k) => plansByDay.get(k.asOf)?.get(k.targetId) ?? null);
  }, { cacheKeyFn: (k) => `${k.targetId}|${k.asOf}` });

  const progress: DataLoader<ProgressKey, Progress, string> = new DataLoader(async (keys) => {
    const indicatorIds = [...new Set(keys.map((k) => k.indicatorId))];
    const regionCodes = [...new Set(keys.map((k) => k.regionCode))];
    const [indicators, regionRows, targetRows, judgedBelow] = await together(em, [
      () => indicatorsById(indicatorIds),
      () => regions.byCode.loadMany(regionCodes),
      () => readTargetRows(em, indicatorIds, regionCodes),
      // Which indicator × region pairs have targets on the regions one level down.
      () => em.execute<{ pair: string }[]>(
        `select distinct t.indicator_id || '|' || r.parent_code as pair from target t join region r on r.code = t.region_code
         where t.indicator_id = any(?::int[]) and r.parent_code = any(?::text[])`, [pgArray(indicatorIds), pgArray(regionCodes)]),
    ] as const);
    const regionByCode = new Map(regionRows.filter((r): r is Region => r instanceof Region).map((r) => [r.code, r]));
    const targets = targetsOfRows(targetRows, indicators, regionByCode);
    const withTargetsBelow = new Set(judgedBelow.map((r) => r.pair));
    const figures = new Map<string, Awaited<ReturnType<typeof rollUp>>>();
    const plans = new Map<string, Awaited<ReturnType<typeof plansAsOf>>>();
    for (const [day, dayKeys] of byDay(keys)) {
      figures.set(day, await fromRollups(day)
        ? await maintainedFigures(em, indicators, dayKeys, day, clock.timeZone)
        : await rollUp(em, indicators, dayKeys, day, clock.timeZone));
      const dayPlans = await plansAsOf(em, targets.map((t) => t.id), day, clock.timeZone);
      plans.set(day, dayPlans);
      // Read once: what the outlook of these targets asks for later in the request is known.
      for (const t of targets) planLoader.prime({ targetId: t.id, asOf: day }, dayPlans.get(t.id) ?? null);
    }
    const targetsOf = groupBy(targets, (t) => `${t.indicator.id}|${t.region.code}`);
    const judged = keys.map((key) => {
      const indicator = indicators.get(key.indicatorId);
      const region = regionByCode.get(key.regionCode);
      const f = figures.get(key.asOf)?.get(`${key.indicatorId}|${key.regionCode}`);
      if (!indicator || !region || !f) return new Error(`no progress for indicator ${key.indicatorId} in ${key.regionCode}`);
      const own = targetsOf.get(`${key.indicatorId}|${key.regionCode}`) ?? [];
      return judge(indicator, region, key, f, own, plans.get(key.asOf));
    });
    // Regions without a target of their own, above regions with one: judged by their children.
    // Children asked in this same batch are taken from it (awaiting them would wait on this batch
    // itself); the others come in one more batch. Deepest regions are judged first.
    const needing = keys.map((key, i) => ({ key, progress: judged[i] }))
      .filter((n): n is { key: ProgressKey; progress: Progress } => !(n.progress instanceof Error) && !n.progress.target
        && withTargetsBelow.has(`${n.key.indicatorId}|${n.key.regionCode}`))
      .sort((a, b) => b.progress.region.path.length - a.progress.region.path.length);
    if (needing.length) {
      const local = new Map(keys.map((key, i) => [keyOf(key), judged[i]]));
      const childKeys = await Promise.all(needing.map(async ({ key }) =>
        (await regions.children.load(key.regionCode)).map((c) => ({ ...key, regionCode: c.code }))));
      const missing = [...new Map(childKeys.flat().filter((k) => !local.has(keyOf(k))).map((k) => [keyOf(k), k])).values()];
      (await progress.loadMany(missing)).forEach((p, i) => local.set(keyOf(missing[i]), p));
      needing.forEach(({ progress: p }, i) => {
        judgeByChildren(p, childKeys[i].map((k) => local.get(keyOf(k))).filter((c): c is Progress => c !== undefined && !(c instanceof Error)));
      });
    }
    return judged;
  }, { cacheKeyFn: keyOf });

  const historyLoader = new DataLoader<ProgressKey, HistoryPoint[], string>(async (keys) => {
    const indicators = await indicatorsById([...new Set(keys.map((k) => k.indicatorId))]);
    const points = new Map<string, Map<string, HistoryPoint[]>>();
    for (const [day, dayKeys] of byDay(keys)) points.set(day, await history(em, indicators, dayKeys, day, clock.timeZone));
    return keys.map((k) => points.get(k.asOf)?.get(`${k.indicatorId}|${k.regionCode}`) ?? []);
  }, { cacheKeyFn: keyOf });

  return { progress, history: historyLoader, childTargets, plans: planLoader };
}
