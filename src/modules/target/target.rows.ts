import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';
import type { Indicator } from '../indicator/indicator.entity';
import type { Region } from '../region/region.entity';
import { Target, type Comparator } from './target.entity';

/**
 * Targets read for judging progress. A board reads hundreds of them (every indicator × region on
 * it), and making each a managed entity (identity map, references, change tracking) costs several
 * times the statement itself; these are read as rows and made into Targets of their own, not
 * managed: read them, never hand one to a write (take `getReference(Target, id)` there).
 */
interface TargetRow {
  id: number;
  indicator_id: number;
  region_code: string;
  value: string | null;
  min: string | null;
  max: string | null;
  comparator: Comparator;
  deadline: string | null;
  synthetic: boolean;
  note: string | null;
  version: number;
  /** Text: the ORM's connection leaves dates and timestamps unparsed. */
  updated_at: string;
}

/** What the regions one level down are asked for (a split target's parts): by indicator and parent. */
export interface ChildTarget {
  indicatorId: number;
  parentCode: string;
  value?: number;
  deadline?: string;
}

const figure = (text: string | null): number | undefined => (text === null ? undefined : Number(text));

/** The targets of these indicators in these regions, as rows (read with the indicators and regions they need). */
export function readTargetRows(em: EntityManager, indicatorIds: number[], regionCodes: string[]): Promise<TargetRow[]> {
  return em.execute<TargetRow[]>(`
    select id, indicator_id, region_code, value::text, min::text, max::text, comparator::text, to_char(deadline, 'YYYY-MM-DD') as deadline,
           synthetic, note, version, updated_at
    from target where indicator_id = any(?::int[]) and region_code = any(?::text[])`, [pgArray(indicatorIds), pgArray(regionCodes)]);
}

/** Rows made Targets, with their indicator and region; a row whose indicator or region is not given is left out. */
export function targetsOfRows(rows: TargetRow[], indicators: Map<number, Indicator>, regions: Map<string, Region>): Target[] {
  const targets: Target[] = [];
  for (const row of rows) {
    const indicator = indicators.get(row.indicator_id);
    const region = regions.get(row.region_code);
    if (!indicator || !region) continue;
    targets.push(Object.assign(new Target(), {
      id: row.id, indicator, region, value: figure(row.value), min: figure(row.min), max: figure(row.max),
      comparator: row.comparator, deadline: row.deadline ?? undefined, synthetic: row.synthetic, note: row.note ?? undefined,
      version: row.version, updatedAt: new Date(row.updated_at),
    }));
  }
  return targets;
}

/** The targets of the regions one level below these parents, for these indicators: value and deadline. */
export async function readChildTargets(em: EntityManager, indicatorIds: number[], parents: string[]): Promise<ChildTarget[]> {
  const rows = await em.execute<{ indicator_id: number; parent_code: string; value: string | null; deadline: string | null }[]>(`
    select t.indicator_id, r.parent_code, t.value::text, to_char(t.deadline, 'YYYY-MM-DD') as deadline
    from target t join region r on r.code = t.region_code
    where t.indicator_id = any(?::int[]) and r.parent_code = any(?::text[])`, [pgArray(indicatorIds), pgArray(parents)]);
  return rows.map((r) => ({ indicatorId: r.indicator_id, parentCode: r.parent_code, value: figure(r.value), deadline: r.deadline ?? undefined }));
}
