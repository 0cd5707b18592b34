import type { Services } from '../../server/context';
import { createLoaders } from '../../server/loaders';
import type { Indicator } from '../indicator/indicator.entity';
import type { Region } from '../region/region.entity';
import { ProgressChanged } from './board.types';

/** The codes of a region and its ancestors, from its materialised path, the region first. */
export function selfAndAncestors(region: Region): string[] {
  return region.path.split('/').filter(Boolean).reverse();
}

/**
 * After a figure lands: the indicator's progress in the region and every ancestor, computed once
 * in one batch, published as one ProgressChanged per region for every subscriber to share.
 */
export async function publishProgressChanged(services: Services, indicator: Indicator, region: Region, asOf: string): Promise<void> {
  const em = services.em.fork();
  const loaders = createLoaders(em, services.clock);
  const codes = selfAndAncestors(region);
  const rows = await loaders.progress.loadMany(codes.map((regionCode) => ({ indicatorId: indicator.id, regionCode, asOf })));
  const at = services.clock.now();
  for (const progress of rows) {
    if (progress instanceof Error) continue;
    services.hub.publish(Object.assign(new ProgressChanged(), {
      cursor: services.hub.nextCursor(), at, programmeId: progress.indicator.programme.id,
      indicator: progress.indicator, region: progress.region, progress,
    }));
  }
}
