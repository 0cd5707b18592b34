import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Region } from './region.entity';

export interface RegionLoaders {
  byCode: DataLoader<string, Region | undefined>;
  /** Every child of a region, by code; one query for all the parents asked in a tick. */
  children: DataLoader<string, Region[]>;
}

export function createRegionLoaders(em: EntityManager): RegionLoaders {
  return {
    byCode: new DataLoader(async (codes) => {
      const rows = await em.find(Region, { code: { $in: [...codes] } });
      const map = new Map(rows.map((r) => [r.code, r]));
      return codes.map((c) => map.get(c));
    }),
    children: new DataLoader(async (codes) => {
      const rows = await em.find(Region, { parent: { code: { $in: [...codes] } } }, { orderBy: { code: 'asc' } });
      return codes.map((c) => rows.filter((r) => r.parent?.code === c));
    }),
  };
}
