import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';
import { LEVEL_DEPTH, RegionLevel } from '../region/region.entity';

/** How many regions of each level a region's subtree holds, itself included. */
export interface SubtreeCounts {
  level: RegionLevel;
  /** By depth below the region: [1, children, grandchildren, …], as far as the tree goes. */
  byDepth: number[];
  /** By level, for the reporting levels. */
  byLevel: Partial<Record<RegionLevel, number>>;
}

/** What the progress fields read depends on, over the whole database: small numbers, cheap to count. */
export interface FigureStats {
  programmes: number;
  indicators: number;
  /** The most indicators one programme has. */
  indicatorsPerProgramme: number;
  /** Indicators of each programme, by code. */
  indicatorsOf: Map<string, number>;
  /** The levels indicators are reported at. */
  reportingLevels: RegionLevel[];
  /** Figures per indicator × reporting region, on average, rounded up (corrections and the days reported). */
  figuresPerReporter: number;
}

export interface ReadStatsOptions {
  /** How long the figure statistics are kept, in ms. */
  statsTtlMs?: number;
  /** How long a region's counts are kept, in ms (the tree changes with an import). */
  countsTtlMs?: number;
  /** Regions whose counts are kept, at most. */
  maxRegions?: number;
}

const LEVELS = Object.values(RegionLevel);

/**
 * The numbers the read cost is priced from, cached: the level counts of the regions a query names
 * (one index-only count per level) and a few counts over the figures, each kept for a minute. Each is one statement for all the regions of a request.
 */
export class ReadStats {
  private stats: { value: Promise<FigureStats>; until: number } | undefined;
  private readonly counts = new Map<string, { value: SubtreeCounts | null; until: number }>();
  private readonly statsTtlMs: number;
  private readonly countsTtlMs: number;
  private readonly maxRegions: number;

  constructor(private readonly em: EntityManager, options: ReadStatsOptions = {}) {
    this.statsTtlMs = options.statsTtlMs ?? 60_000;
    this.countsTtlMs = options.countsTtlMs ?? 60_000;
    this.maxRegions = options.maxRegions ?? 10_000;
  }

  figureStats(): Promise<FigureStats> {
    const now = Date.now();
    if (!this.stats || this.stats.until < now) {
      const value = this.readFigureStats();
      this.stats = { value, until: now + this.statsTtlMs };
      value.catch(() => { this.stats = undefined; });
    }
    return this.stats.value;
  }

  private async readFigureStats(): Promise<FigureStats> {
    const [row] = await this.em.fork().execute<{ programmes: number; indicators: number; per_programme: number; levels: string | string[] | null; figures: string; pairs: string }[]>(`
      select (select count(*) from programme)::int as programmes,
        (select count(*) from indicator)::int as indicators,
        (select coalesce(max(n), 0) from (select count(*) as n from indicator group by programme_id) x)::int as per_programme,
        (select array_agg(distinct reporting_level::text) from indicator) as levels,
        f.figures, f.pairs
      from (select count(*) as figures, count(distinct (indicator_id, region_code)) as pairs from submission) f`);
    const perProgramme = await this.em.fork().execute<{ code: string; n: number }[]>(
      'select p.code, count(i.id)::int as n from programme p left join indicator i on i.programme_id = p.id group by p.code');
    const levels = typeof row.levels === 'string' ? row.levels.replace(/[{}]/g, '').split(',').filter(Boolean) : row.levels ?? [];
    return {
      programmes: row.programmes,
      indicators: row.indicators,
      indicatorsPerProgramme: row.per_programme,
      indicatorsOf: new Map(perProgramme.map((p) => [p.code, p.n])),
      reportingLevels: levels.filter((l): l is RegionLevel => LEVELS.includes(l as RegionLevel)),
      figuresPerReporter: Math.max(1, Math.ceil(Number(row.figures) / Math.max(1, Number(row.pairs)))),
    };
  }

  /** The counts of each region named (null for a code that is no region). */
  async subtreeCounts(codes: string[]): Promise<Map<string, SubtreeCounts | null>> {
    const now = Date.now();
    const result = new Map<string, SubtreeCounts | null>();
    const missing: string[] = [];
    for (const code of new Set(codes)) {
      const hit = this.counts.get(code);
      if (hit && hit.until >= now) result.set(code, hit.value);
      else missing.push(code);
    }
    if (missing.length === 0) return result;
    const rows = await this.em.fork().execute<{ code: string; level: RegionLevel; below: RegionLevel; n: number }[]>(`
      select r.code, r.level, l.level as below, c.n
      from region r
      cross join unnest(enum_range(null::region_level)) as l(level)
      cross join lateral (
        select count(*)::int as n from region d
        where d.level = l.level and d.path ~>=~ r.path and d.path ~<~ (r.path || '~')
      ) c
      where r.code = any(?::text[]) and c.n > 0`, [pgArray(missing)]);
    for (const code of missing) {
      const own = rows.filter((r) => r.code === code);
      let value: SubtreeCounts | null = null;
      if (own.length > 0) {
        const level = own[0].level;
        const byLevel: Partial<Record<RegionLevel, number>> = {};
        const byDepth: number[] = [];
        for (const r of own) {
          byLevel[r.below] = r.n;
          const depth = LEVEL_DEPTH[r.below] - LEVEL_DEPTH[level];
          if (depth >= 0) byDepth[depth] = r.n;
        }
        for (let d = 0; d < byDepth.length; d++) byDepth[d] ??= 0;
        value = { level, byDepth, byLevel };
      }
      result.set(code, value);
      if (this.counts.size >= this.maxRegions) this.counts.delete(this.counts.keys().next().value!);
      this.counts.set(code, { value, until: now + this.countsTtlMs });
    }
    return result;
  }
}
