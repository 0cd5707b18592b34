import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { pgArray } from '../../common/pg-array';
import { progressChangedEvents } from '../progress/progress.events';
import { FIGURE_ENTERED, FOLDED_TYPES, TREE_CHANGED } from '../events/facts';
import { appendEvents } from '../events/outbox.service';
import { ancestorsOf, foldFigures, keyString, rebuildRollups, recountRegions, type RollupKey } from './rollup.sql';

interface FactRow {
  seq: string;
  type: string;
  programme_id: number | null;
  payload: Record<string, unknown>;
}

export interface FoldResult {
  /** Facts folded by this page. */
  folded: number;
  /** The last sequence of the ProgressChanged events appended, to announce. */
  appended?: string;
  /**
   * With nothing to fold: the outbox's last sequence as the same statement saw it. Every event up
   * to it was committed (sequences are given under the sequence row's lock, held to commit), so
   * no fact up to it is left: an announcement up to it is no news to the projector.
   */
  noFactsThrough?: string;
}

/** What a page of facts moves. */
interface Moves {
  /** Reporting regions whose latest figure that counts may have changed. */
  leaves: Map<string, RollupKey>;
  /** Indicator × region judged again (a target): the region and its ancestors. */
  judged: Map<string, RollupKey>;
  /** Indicators rebuilt from their figures (an indicator changed). */
  indicators: Set<number>;
  /** Every roll-up rebuilt and the regions counted again (the tree changed). */
  tree: boolean;
}

const add = (map: Map<string, RollupKey>, key: RollupKey) => map.set(keyString(key), key);

/** A fact's indicator × region: from its payload, or (an event written before it carried them) from its row. */
async function keyOf(tx: EntityManager, fact: FactRow, table: 'submission' | 'target', idField: string): Promise<RollupKey | undefined> {
  const { indicatorId, regionCode } = fact.payload as { indicatorId?: number; regionCode?: string };
  if (indicatorId != null && regionCode) return { indicatorId: Number(indicatorId), regionCode };
  const [row] = await tx.execute<{ indicator_id: number; region_code: string }[]>(
    `select indicator_id, region_code from ${table} where id = ?`, [fact.payload[idField]]);
  return row ? { indicatorId: Number(row.indicator_id), regionCode: row.region_code } : undefined;
}

async function movesOf(tx: EntityManager, facts: FactRow[]): Promise<Moves> {
  const moves: Moves = { leaves: new Map(), judged: new Map(), indicators: new Set(), tree: false };
  for (const fact of facts) {
    switch (fact.type) {
      case FIGURE_ENTERED:
      case 'SubmissionReviewed': {
        const key = await keyOf(tx, fact, 'submission', 'submissionId');
        if (key) add(moves.leaves, key);
        break;
      }
      case 'TargetChanged': {
        const key = await keyOf(tx, fact, 'target', 'targetId');
        if (key) add(moves.judged, key);
        break;
      }
      case 'ProgrammeChanged': {
        if (typeof fact.payload.indicator === 'string') {
          // An indicator added or changed (its roll-up or reporting level may be another now).
          const [row] = await tx.execute<{ id: number }[]>('select id from indicator where code = ?', [fact.payload.indicator]);
          if (row) moves.indicators.add(Number(row.id));
        } else if (fact.payload.countedStatuses) {
          // Which statuses count: every reporting region with a figure of the programme.
          const rows = await tx.execute<{ indicator_id: number; region_code: string }[]>(`
            select distinct s.indicator_id, s.region_code from submission s join indicator i on i.id = s.indicator_id
            where i.programme_id = ?`, [fact.programme_id]);
          for (const r of rows) add(moves.leaves, { indicatorId: Number(r.indicator_id), regionCode: r.region_code });
        }
        break;
      }
      case TREE_CHANGED:
        moves.tree = true;
        break;
    }
  }
  return moves;
}

/** Every roll-up of a region above its indicator's reporting level, deepest first. */
async function aggregateKeys(tx: EntityManager): Promise<RollupKey[]> {
  const rows = await tx.execute<{ indicator_id: number; region_code: string }[]>(`
    select r.indicator_id, r.region_code from progress_rollup r
    join indicator i on i.id = r.indicator_id join region g on g.code = r.region_code
    where g.level <> i.reporting_level order by length(g.path) desc, r.indicator_id, r.region_code`);
  return rows.map((r) => ({ indicatorId: Number(r.indicator_id), regionCode: r.region_code }));
}

/** Applies a page's moves to the roll-ups; every indicator × region moved, deepest first. */
async function apply(tx: EntityManager, moves: Moves, firstBuild: boolean): Promise<RollupKey[]> {
  if (moves.tree || firstBuild) {
    await recountRegions(tx);
    await rebuildRollups(tx);
    // The first build tells no board: none has read the roll-ups yet. A tree change moves the
    // regions above the reporting level (what they count below); a reporting region's own figure stays.
    return firstBuild ? [] : aggregateKeys(tx);
  }
  const moved = new Map<string, RollupKey>();
  if (moves.indicators.size) for (const key of await rebuildRollups(tx, [...moves.indicators])) add(moved, key);
  const leaves = [...moves.leaves.values()].filter((k) => !moves.indicators.has(k.indicatorId));
  for (const key of await foldFigures(tx, leaves)) add(moved, key);
  const judged = [...moves.judged.values()];
  const { ancestors } = await ancestorsOf(tx, judged.map((k) => k.regionCode));
  for (const key of judged) {
    for (const code of [key.regionCode, ...(ancestors.get(key.regionCode) ?? [])]) add(moved, { indicatorId: key.indicatorId, regionCode: code });
  }
  return [...moved.values()];
}

/**
 * Folds one page of facts after the last one folded, in one transaction: locks the projection's
 * state row (a second projector, should two ever run, waits and then reads the new position: no
 * fact is folded twice), moves the roll-ups, records the last sequence folded, and appends one
 * ProgressChanged per indicator × region moved, with the figures after the whole page.
 */
export async function foldPage(em: EntityManager, clock: Clock, pageSize: number): Promise<FoldResult> {
  return em.fork().transactional(async (tx) => {
    const [state] = await tx.execute<{ last_folded: string; rebuild: boolean }[]>(
      'select last_folded, rebuild from projection_state where id for update');
    if (!state) return { folded: 0 };
    // The facts and the outbox's head in one statement: one snapshot for both.
    const read = await tx.execute<(FactRow & { head: string })[]>(`
      select s.last_seq::text as head, f.seq, f.type, f.programme_id, f.payload
      from outbox_sequence s left join lateral (
        select seq, type, programme_id, payload from outbox_event
        where seq > ? and type = any(?::text[]) order by seq limit ?) f on true
      where s.id`, [state.last_folded, pgArray(FOLDED_TYPES), pageSize]);
    const facts = read.filter((row) => row.seq != null);
    if (facts.length === 0 && !state.rebuild) return { folded: 0, noFactsThrough: read[0]?.head };
    const moved = await apply(tx, await movesOf(tx, facts), state.rebuild);
    const through = facts.at(-1)?.seq ?? state.last_folded;
    await tx.execute('update projection_state set last_folded = ?, rebuild = false where id', [through]);
    const folded = { from: facts[0]?.seq ?? through, through };
    const appended = await appendEvents(tx, await progressChangedEvents(tx, clock, moved, folded), clock.now());
    return { folded: facts.length, appended };
  });
}
