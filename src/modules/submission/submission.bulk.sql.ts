import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';
import type { RegionOfFigure } from './submission.checks';

/**
 * The bulk path's statements: each one statement for every row of a call (rows sent as one JSON
 * parameter, read with json_to_recordset), whatever the number of rows.
 */

/** The regions a call names, in one query (plain rows: thousands of them stay out of the identity map). */
export async function regionsByCode(tx: EntityManager, codes: readonly string[]): Promise<Map<string, RegionOfFigure>> {
  if (codes.length === 0) return new Map();
  const rows = await tx.execute<RegionOfFigure[]>('select code, name, level, path from region where code = any(?::text[])', [pgArray(codes)]);
  return new Map(rows.map((r) => [r.code, r]));
}

/** An earlier submission of the user's under one of the call's idempotency keys. */
export interface KeyedRow {
  id: string;
  idempotency_key: string;
  indicator_id: number;
  region_code: string;
  value: string;
  numerator: string | null;
  denominator: string | null;
  as_of: string;
  note: string | null;
}

export async function submissionsByKey(tx: EntityManager, userId: number, keys: readonly string[]): Promise<Map<string, KeyedRow>> {
  if (keys.length === 0) return new Map();
  const rows = await tx.execute<KeyedRow[]>(`
    select id::text, idempotency_key, indicator_id, region_code, value::text, numerator::text, denominator::text, to_char(as_of, 'YYYY-MM-DD') as as_of, note
    from submission where submitted_by_id = ? and idempotency_key = any(?::text[])`, [userId, pgArray(keys)]);
  return new Map(rows.map((r) => [r.idempotency_key, r]));
}

/** A row's day as it stands: whether any figure was entered for it, and the latest that is not returned. */
export interface DayRow {
  i: number;
  any_that_day: boolean;
  latest_id: string | null;
  value: string | null;
  numerator: string | null;
  denominator: string | null;
  note: string | null;
}

/** For each row (`i`, indicator × region × day): two probes of the submissions' index. */
export async function daysOf(tx: EntityManager, rows: readonly { i: number; indicator_id: number; region_code: string; as_of: string }[]): Promise<Map<number, DayRow>> {
  if (rows.length === 0) return new Map();
  const found = await tx.execute<DayRow[]>(`
    select k.i, exists (
        select 1 from submission s where s.indicator_id = k.indicator_id and s.region_code = k.region_code and s.as_of = k.as_of
      ) as any_that_day,
      l.id::text as latest_id, l.value::text, l.numerator::text, l.denominator::text, l.note
    from json_to_recordset(?::json) as k(i int, indicator_id int, region_code text, as_of date)
    left join lateral (
      select s.id, s.value, s.numerator, s.denominator, s.note from submission s
      where s.indicator_id = k.indicator_id and s.region_code = k.region_code and s.as_of = k.as_of and s.status <> 'RETURNED'
      order by s.id desc limit 1
    ) l on true`, [JSON.stringify(rows)]);
  return new Map(found.map((r) => [Number(r.i), r]));
}

/** A submission to insert. */
export interface NewSubmission {
  indicator_id: number;
  region_code: string;
  value: number;
  numerator: number | null;
  denominator: number | null;
  as_of: string;
  note: string | null;
  idempotency_key: string | null;
}

/**
 * Inserts the submissions in one statement; returns each one's id, keyed by indicator × region ×
 * day (unique within a call).
 */
export async function insertSubmissions(tx: EntityManager, rows: readonly NewSubmission[], userId: number, at: Date): Promise<Map<string, string>> {
  if (rows.length === 0) return new Map();
  const inserted = await tx.execute<{ id: string; indicator_id: number; region_code: string; as_of: string }[]>(`
    insert into submission (indicator_id, region_code, value, numerator, denominator, as_of, note, status, submitted_by_id, submitted_at, idempotency_key, synthetic)
    select r.indicator_id, r.region_code, r.value, r.numerator, r.denominator, r.as_of, r.note, 'SUBMITTED'::submission_status, ?, ?, r.idempotency_key, false
    from json_to_recordset(?::json) as r(indicator_id int, region_code text, value numeric, numerator numeric, denominator numeric, as_of date, note text, idempotency_key text)
    returning id::text, indicator_id, region_code, to_char(as_of, 'YYYY-MM-DD') as as_of`, [userId, at, JSON.stringify(rows)]);
  return new Map(inserted.map((r) => [dayKey(r.indicator_id, r.region_code, r.as_of), r.id]));
}

export const dayKey = (indicatorId: number, regionCode: string, asOf: string) => `${indicatorId}|${regionCode}|${asOf}`;

/** An audit entry of a submission. */
export interface NewAuditEntry {
  action: string;
  entity_id: string;
  indicator_code: string;
  region_code: string;
  after: Record<string, unknown>;
}

/** The submissions' audit entries, in one statement. */
export async function insertAuditEntries(tx: EntityManager, rows: readonly NewAuditEntry[], actorId: number, at: Date): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(`
    insert into audit_entry (at, actor_id, action, entity_type, entity_id, indicator_code, region_code, before, after)
    select ?, ?, a.action, 'Submission', a.entity_id, a.indicator_code, a.region_code, null, a.after
    from json_to_recordset(?::json) as a(action text, entity_id text, indicator_code text, region_code text, after jsonb)`,
  [at, actorId, JSON.stringify(rows)]);
}
