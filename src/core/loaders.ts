import type DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import type { Indicator } from '../modules/indicator/indicator.entity';
import type { ProgressLoaders } from '../modules/progress/progress.loader';
import type { RegionLoaders } from '../modules/region/region.loader';

/** Per-request loaders: every lookup a field resolver makes is batched with its siblings'. */
export interface Loaders {
  /** Loads (initialises) an entity by primary key, batched per entity class. */
  entity<T extends object>(entity: EntityName<T>, pk: string | number): Promise<T>;
  /** The entity if it is loaded; otherwise loads it through `entity`. */
  ensure<T extends object>(entity: T): Promise<T>;
  region: RegionLoaders;
  indicatorsByProgramme: DataLoader<number, Indicator[]>;
  progress: ProgressLoaders['progress'];
  history: ProgressLoaders['history'];
  childTargets: ProgressLoaders['childTargets'];
  plans: ProgressLoaders['plans'];
  /** Resolvers of large responses await it once their data is loaded: the execution spread over turns of the event loop (pace.ts). */
  pace: () => Promise<void>;
}
