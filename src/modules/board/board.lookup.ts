import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';

/** What a subscription to a board looks up as it starts. */
export interface BoardLookups {
  programme: DataLoader<string, Programme | null>;
  region: DataLoader<string, Region | null>;
}

/** By the server's EntityManager: the lookups of every board subscription of this instance. */
const byServer = new WeakMap<EntityManager, BoardLookups>();

/**
 * The programme and the region of the board subscriptions that start in one turn of the event
 * loop, in one statement each (a wall of screens connecting together): read after each asked, and
 * nothing kept between turns (no cache: each batch reads the rows as they are now, in a fork of its
 * own). Programmes and regions are the same for every caller; who may read them is checked after.
 */
export function boardLookups(em: EntityManager): BoardLookups {
  let lookups = byServer.get(em);
  if (!lookups) {
    const options = { cache: false, batchScheduleFn: (run: () => void) => setImmediate(run) };
    lookups = {
      programme: new DataLoader(async (codes) => {
        const rows = await em.fork().find(Programme, { code: { $in: [...new Set(codes)] } });
        return codes.map((code) => rows.find((p) => p.code === code) ?? null);
      }, options),
      region: new DataLoader(async (codes) => {
        const rows = await em.fork().find(Region, { code: { $in: [...new Set(codes)] } });
        return codes.map((code) => rows.find((r) => r.code === code) ?? null);
      }, options),
    };
    byServer.set(em, lookups);
  }
  return lookups;
}
