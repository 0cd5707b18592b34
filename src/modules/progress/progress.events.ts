import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import type { NewEvent } from '../events/outbox.service';
import { eventHeader, findIn, payloadValues, type EventType } from '../events/event-builder';
import { ProgressChanged } from '../board/board.types';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { createRegionLoaders } from '../region/region.loader';
import { Target } from '../target/target.entity';
import { createProgressLoaders } from './progress.loader';
import { Progress } from './progress.types';

/** What a ProgressChanged event keeps of the progress: the figures, as they stood after the fold. */
type ProgressSnapshot = Pick<Progress, 'actual' | 'completion' | 'expectedByNow' | 'status' | 'reportedCount' | 'expectedCount' | 'met' | 'metOf' | 'doneOn'>
  & { lastReportedAt: string | null; targetId: number | null };

/**
 * The ProgressChanged events of indicator × region `keys`, in their order, in one batch of the
 * progress loaders on `tx` (the projector's transaction, reading the roll-ups it has just moved):
 * what a fresh `progress` query reads. `folded` names the facts that moved them.
 */
export async function progressChangedEvents(
  tx: EntityManager, clock: Clock, keys: { indicatorId: number; regionCode: string }[], folded: { from: string; through: string },
): Promise<NewEvent[]> {
  if (keys.length === 0) return [];
  const loaders = createProgressLoaders(tx, clock, createRegionLoaders(tx), { projection: 'maintained' });
  const asOf = clock.today();
  const rows = await loaders.progress.loadMany(keys.map((k) => ({ ...k, asOf })));
  return rows.filter((p): p is Progress => !(p instanceof Error)).map((p) => {
    const progress: ProgressSnapshot = {
      actual: p.actual, completion: p.completion, expectedByNow: p.expectedByNow, status: p.status,
      reportedCount: p.reportedCount, expectedCount: p.expectedCount, met: p.met, metOf: p.metOf, doneOn: p.doneOn,
      lastReportedAt: p.lastReportedAt?.toISOString() ?? null, targetId: p.target?.id ?? null,
    };
    return {
      type: 'ProgressChanged', programmeId: p.indicator.programme.id, regionCode: p.region.code, parentCode: p.region.parent?.code,
      payload: { indicatorId: p.indicator.id, regionCode: p.region.code, asOf, progress, folded },
    };
  });
}

/** The progress as the projector left it (the snapshot in the row), with its indicator, region and target loaded for the page. */
export const progressChanged: EventType = {
  type: 'ProgressChanged',
  async prepare(em, rows) {
    const snapshot = (row: (typeof rows)[number]) => row.payload.progress as ProgressSnapshot;
    const targetIds = [...new Set(rows.map((r) => snapshot(r).targetId).filter((v): v is number => v != null))];
    const [indicators, regions, targets] = await Promise.all([
      em.find(Indicator, { id: { $in: payloadValues<number>(rows, 'indicatorId') } }, { populate: ['programme'] }),
      em.find(Region, { code: { $in: payloadValues<string>(rows, 'regionCode') } }),
      findIn(targetIds, () => em.find(Target, { id: { $in: targetIds } }, { populate: ['indicator', 'region'] })),
    ]);
    const indicator = new Map(indicators.map((i) => [i.id, i]));
    const region = new Map(regions.map((r) => [r.code, r]));
    const target = new Map(targets.map((t) => [t.id, t]));
    return (row) => {
      const s = snapshot(row);
      const i = indicator.get(row.payload.indicatorId as number)!;
      const r = region.get(row.payload.regionCode as string)!;
      const progress = Object.assign(new Progress(), s, {
        indicator: i, region: r, asOf: row.payload.asOf as string,
        lastReportedAt: s.lastReportedAt ? new Date(s.lastReportedAt) : null,
        target: s.targetId ? target.get(s.targetId) ?? null : null,
      });
      return Object.assign(new ProgressChanged(), eventHeader(row), { indicator: i, region: r, progress });
    };
  },
};
