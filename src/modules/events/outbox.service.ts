import type { EntityManager } from '@mikro-orm/postgresql';
import { FOLDED_TYPES } from './facts';
import { boundQuery } from '../../db/bound-query';

export interface NewEvent {
  type: string;
  programmeId?: number;
  regionCode?: string;
  parentCode?: string;
  userId?: number;
  payload: Record<string, unknown>;
}

/**
 * Appends events to the outbox inside the writer's transaction, in one statement however many. The
 * write's pending entities are flushed first; then the sequence row is updated, and its row lock is
 * held until commit: a second writer waits for it, so sequences become visible in the order they
 * were given (a plain serial would not: a later number can commit first, and a reader that moved
 * past it would never see the earlier one). The sequence of the last fact among them is kept too:
 * the projection is current once it has folded that far. Returns the last seq.
 */
export async function appendEvents(tx: EntityManager, events: NewEvent[], at: Date): Promise<string | undefined> {
  if (events.length === 0) return undefined;
  // The write's own rows first, outside the sequence lock's hold.
  await tx.flush();
  const lastFact = events.map((e) => FOLDED_TYPES.includes(e.type)).lastIndexOf(true) + 1;
  const [{ last_seq: last }] = await tx.execute<{ last_seq: string }[]>(
    `update outbox_sequence set last_seq = last_seq + ?, last_fact_seq = case when ?::int > 0 then last_seq + ?::int else last_fact_seq end
     where id returning last_seq`, [events.length, lastFact, lastFact]);
  const before = BigInt(last) - BigInt(events.length);
  const rows = events.map((e, i) => ({
    n: i + 1, type: e.type, programme_id: e.programmeId ?? null, region_code: e.regionCode ?? null, parent_code: e.parentCode ?? null,
    user_id: e.userId ?? null, payload: e.payload,
  }));
  await boundQuery(tx, `
    insert into outbox_event (seq, type, programme_id, region_code, parent_code, user_id, payload, created_at)
    select ?::bigint + e.n, e.type, e.programme_id, e.region_code, e.parent_code, e.user_id, e.payload, ?
    from json_to_recordset(?::json) as e(n int, type text, programme_id int, region_code text, parent_code text, user_id int, payload jsonb)`,
  [String(before), at, JSON.stringify(rows)]);
  return last;
}

/** The outbox's bounds: the last sequence given, and up to which it has been pruned. */
export async function outboxBounds(em: EntityManager): Promise<{ lastSeq: bigint; prunedThrough: bigint }> {
  const [row] = await em.execute<{ last_seq: string; pruned_through: string }[]>(
    'select last_seq, pruned_through from outbox_sequence where id');
  return { lastSeq: BigInt(row.last_seq), prunedThrough: BigInt(row.pruned_through) };
}

/** Deletes events older than `retentionMs`; a cursor at or before the highest deleted seq can no longer resume. */
export async function pruneOutbox(em: EntityManager, retentionMs: number, now: Date): Promise<void> {
  await em.execute(`
    with gone as (delete from outbox_event where created_at < ? returning seq)
    update outbox_sequence set pruned_through = greatest(pruned_through, (select coalesce(max(seq), 0) from gone)) where id`,
  [new Date(now.getTime() - retentionMs)]);
}
