import type { EntityManager } from '@mikro-orm/postgresql';
import { batched } from '../../common/batches';
import { pgArray } from '../../common/pg-array';
import type { RegionRef } from '../user/user.scope';

/** What a board subscription needs of its programme and region: the programme's id (null: no such programme), the region's columns (null: none). */
export interface BoardTarget {
  programmeId: number | null;
  region: RegionRef | null;
}

/** By the server's EntityManager: the look-ups of every board subscription of this instance. */
const byServer = new WeakMap<EntityManager, (key: string) => Promise<BoardTarget | undefined>>();

/**
 * The programme and the region of the board subscriptions that start together (a wall of screens
 * connecting), in one statement per batch (common/batches.ts): read after each asked, and nothing
 * kept between batches. Programmes and regions are the same for every caller; who may read them is
 * checked after. Plain columns, not entities: a live subscription keeps no entity nor EntityManager.
 */
export async function lookUpBoard(em: EntityManager, programme: string, region: string): Promise<BoardTarget> {
  let load = byServer.get(em);
  if (!load) {
    load = batched(async (keys: string[]) => {
      const pairs = keys.map((k) => JSON.parse(k) as [string, string]);
      const rows = await em.getConnection().execute<{ programme: string; region: string; programme_id: number | null; code: string | null; name: string | null; path: string | null }[]>(
        `select k.programme, k.region, p.id as programme_id, r.code, r.name, r.path
         from unnest(?::text[], ?::text[]) as k(programme, region)
         left join programme p on p.code = k.programme
         left join region r on r.code = k.region`,
        [pgArray(pairs.map(([p]) => p)), pgArray(pairs.map(([, r]) => r))]);
      return new Map(rows.map((row) => [JSON.stringify([row.programme, row.region]), {
        programmeId: row.programme_id,
        region: row.code === null ? null : { code: row.code, name: row.name!, path: row.path! },
      }]));
    });
    byServer.set(em, load);
  }
  return (await load(JSON.stringify([programme, region])))!;
}
