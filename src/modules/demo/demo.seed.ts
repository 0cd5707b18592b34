import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Aggregation, Direction, IndicatorKind, TargetScope } from '../indicator/indicator.entity';
import { RegionLevel } from '../region/region.entity';
import type { Comparator } from '../target/target.entity';

/** The shape of data/wenzhou-2019-indicators.yaml: every figure of the 2019 first-half report. */
export interface SeedFigure {
  value: number;
  as_of: string;
  numerator?: number;
  denominator?: number;
  note?: string;
}

export interface SeedTarget {
  value?: number;
  min?: number;
  max?: number;
  comparator?: Comparator;
  deadline?: string;
  derived?: boolean;
  note?: string;
  scope?: TargetScope;
}

export interface SeedIndicator {
  code: string;
  name: string;
  kind: IndicatorKind;
  unit?: string;
  direction?: Direction;
  baseline?: number;
  scope?: TargetScope;
  regions?: string[];
  actual?: SeedFigure;
  target?: SeedTarget;
  annual_target?: SeedTarget;
  source?: string;
}

export interface SeedProgramme {
  code: string;
  name: string;
  gloss?: string;
  lead: string;
  indicators: SeedIndicator[];
}

export interface Seed {
  city: { code: string; name: string };
  period: { year: number; h1_as_of: string };
  programmes: SeedProgramme[];
}

export function readSeed(): Seed {
  const seed = parse(readFileSync(join(__dirname, 'data', 'wenzhou-2019-indicators.yaml'), 'utf8'), {
    // Dates stay strings (YYYY-MM-DD), as the Date scalar and the date columns keep them.
    schema: 'core',
  }) as Seed;
  return seed;
}

/** Indicators that only the city can report, beyond milestones, growth rates and city-only entries. */
const CITY_REPORTED = new Set(['P1-05', 'P2-01', 'P2-06', 'P4-06', 'P4-07']);
/** Indicators reported township by township. */
const TOWNSHIP_REPORTED = new Set(['P3-05', 'P1-08']);

export function reportingLevel(ind: SeedIndicator, cityName: string): RegionLevel {
  if (TOWNSHIP_REPORTED.has(ind.code)) return RegionLevel.TOWNSHIP;
  if (ind.regions?.length) return ind.regions.includes(cityName) ? RegionLevel.CITY : RegionLevel.COUNTY;
  if (CITY_REPORTED.has(ind.code) || ind.kind === IndicatorKind.MILESTONE || ind.kind === IndicatorKind.GROWTH) return RegionLevel.CITY;
  return RegionLevel.COUNTY;
}

/** Figures that roll up as the worst region's: days taken, a caseload per worker. */
const ROLL_UP_MAX = new Set(['P1-05', 'P4-11']);

export function aggregation(ind: SeedIndicator): Aggregation {
  if (ROLL_UP_MAX.has(ind.code)) return Aggregation.MAX;
  switch (ind.kind) {
    case IndicatorKind.PERCENT: return Aggregation.RATIO;
    case IndicatorKind.GROWTH: return Aggregation.AVERAGE;
    case IndicatorKind.MILESTONE: return Aggregation.MIN;
    default: return Aggregation.SUM;
  }
}

function decimalsOf(n: number | undefined): number {
  if (n === undefined) return 0;
  const text = String(n);
  return text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
}

export function decimals(ind: SeedIndicator): number {
  const seen = [ind.actual?.value, ind.target?.value, ind.target?.min, ind.target?.max, ind.annual_target?.value, ind.baseline];
  const floor = ind.kind === IndicatorKind.PERCENT || ind.kind === IndicatorKind.GROWTH ? 1 : 0;
  return Math.max(floor, ...seen.map(decimalsOf));
}

export function scope(ind: SeedIndicator): TargetScope {
  return ind.scope ?? ind.target?.scope ?? TargetScope.CITY;
}
