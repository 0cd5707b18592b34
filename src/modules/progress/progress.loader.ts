import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { Indicator } from '../indicator/indicator.entity';
import { Region } from '../region/region.entity';
import { Target } from '../target/target.entity';
import { judge, rollUp, type ProgressKey } from './progress.service';
import type { Progress } from './progress.types';

export type ProgressLoader = DataLoader<ProgressKey, Progress, string>;

/**
 * Progress for indicator × region × day, batched: whatever the number of keys asked in one tick,
 * one batch costs four statements (indicators, regions, targets, the roll-up per day asked).
 */
export function createProgressLoader(em: EntityManager, clock: Clock): ProgressLoader {
  return new DataLoader<ProgressKey, Progress, string>(async (keys) => {
    const indicatorIds = [...new Set(keys.map((k) => k.indicatorId))];
    const regionCodes = [...new Set(keys.map((k) => k.regionCode))];
    const [indicators, regions, targets] = await Promise.all([
      em.find(Indicator, { id: { $in: indicatorIds } }, { populate: ['programme'] }),
      em.find(Region, { code: { $in: regionCodes } }),
      em.find(Target, { indicator: { id: { $in: indicatorIds } }, region: { code: { $in: regionCodes } } }),
    ]);
    const indicatorById = new Map(indicators.map((i) => [i.id, i]));
    const regionByCode = new Map(regions.map((r) => [r.code, r]));
    const byDay = new Map<string, ProgressKey[]>();
    for (const key of keys) byDay.set(key.asOf, [...(byDay.get(key.asOf) ?? []), key]);
    const figures = new Map<string, Awaited<ReturnType<typeof rollUp>>>();
    for (const [day, dayKeys] of byDay) figures.set(day, await rollUp(em, indicatorById, dayKeys, day, clock.timeZone));
    return keys.map((key) => {
      const indicator = indicatorById.get(key.indicatorId);
      const region = regionByCode.get(key.regionCode);
      const f = figures.get(key.asOf)?.get(`${key.indicatorId}|${key.regionCode}`);
      if (!indicator || !region || !f) return new Error(`no progress for ${key.indicatorId} in ${key.regionCode}`);
      const own = targets.filter((t) => t.indicator.id === key.indicatorId && t.region.code === key.regionCode);
      return judge(indicator, region, key, f, own, indicator.programme.startsOn);
    });
  }, { cacheKeyFn: (k) => `${k.indicatorId}|${k.regionCode}|${k.asOf}` });
}
