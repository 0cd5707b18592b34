import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFoundError } from '../../core/errors';
import { Region } from '../region/region.entity';
import { Indicator } from './indicator.entity';

/** The indicator (with its programme) and the region a write names by code; NOT_FOUND for either. */
export async function findIndicatorAndRegion(em: EntityManager, codes: { indicator: string; region: string }): Promise<{ indicator: Indicator; region: Region }> {
  const indicator = await em.findOne(Indicator, { code: codes.indicator }, { populate: ['programme'] });
  if (!indicator) throw new NotFoundError('Indicator', codes.indicator);
  const region = await em.findOne(Region, { code: codes.region });
  if (!region) throw new NotFoundError('Region', codes.region);
  return { indicator, region };
}
