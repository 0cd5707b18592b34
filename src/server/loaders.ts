import DataLoader from 'dataloader';
import { wrap, type EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../clock';
import { Indicator } from '../modules/indicator/indicator.entity';
import { createProgressLoaders, type ProgressLoaderOptions } from '../modules/progress/progress.loader';
import { createRegionLoaders } from '../modules/region/region.loader';
import type { Loaders } from '../core/loaders';
import { createPacer } from './pace';

export function createLoaders(em: EntityManager, clock: Clock, options: ProgressLoaderOptions = {}): Loaders {
  const byClass = new Map<EntityName<object>, DataLoader<string | number, object>>();
  const entity = <T extends object>(name: EntityName<T>, pk: string | number): Promise<T> => {
    let loader = byClass.get(name as EntityName<object>);
    if (!loader) {
      const meta = em.getMetadata().find(name as EntityName<object>)!;
      const pkName = meta.primaryKeys[0];
      loader = new DataLoader(async (pks) => {
        const rows = await em.find(name as EntityName<object>, { [pkName]: { $in: [...pks] } } as never);
        const byPk = new Map(rows.map((row) => [String((row as Record<string, unknown>)[pkName]), row]));
        return pks.map((pk) => byPk.get(String(pk)) ?? new Error(`${meta.className} ${pk} not found`));
      });
      byClass.set(name as EntityName<object>, loader);
    }
    return loader.load(pk) as Promise<T>;
  };
  const region = createRegionLoaders(em);
  const progress = createProgressLoaders(em, clock, region, options);
  return {
    entity,
    ensure: async <T extends object>(e: T): Promise<T> => {
      const w = wrap(e, true);
      if (w.isInitialized()) return e;
      return entity(w.__meta.class as EntityName<T>, w.getPrimaryKey() as string | number);
    },
    region,
    indicatorsByProgramme: new DataLoader(async (ids) => {
      const rows = await em.find(Indicator, { programme: { $in: [...ids] } }, { orderBy: { position: 'asc' } });
      return ids.map((id) => rows.filter((r) => wrap(r.programme, true).getPrimaryKey() === id));
    }),
    ...progress,
    pace: createPacer(),
  };
}

