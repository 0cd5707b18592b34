import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Region } from './region.entity';

export interface RegionLoaders {
  byCode: DataLoader<string, Region | undefined>;
  /** Every child of a region, by code; one query for all the parents asked in a tick. */
  children: DataLoader<string, Region[]>;
}

export function createRegionLoaders(em: EntityManager): RegionLoaders {
  const byCode = new DataLoader<string, Region | undefined>(async (codes) => {
    const rows = await em.find(Region, { code: { $in: [...codes] } });
    const map = new Map(rows.map((r) => [r.code, r]));
    return codes.map((c) => map.get(c));
  });
  return {
    byCode,
    children: new DataLoader(async (codes) => {
      const rows = await em.find(Region, { parent: { code: { $in: [...codes] } } }, { orderBy: { code: 'asc' } });
      // A child fetched here is then known by its code too.
      for (const r of rows) byCode.prime(r.code, r);
      return codes.map((c) => rows.filter((r) => r.parent?.code === c));
    }),
  };
}
