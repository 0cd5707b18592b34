import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '../../common/pg-array';
import { boundQuery } from '../../db/bound-query';
import type { RegionOfFigure } from './submission.checks';

/**
 * The bulk path's statements: each one statement for every row of a call (rows sent as one JSON
 * parameter, bound, read with json_to_recordset), whatever the number of rows.
 */

/** The regions a call names, in one query (plain rows: thousands of them stay out of the identity map). */
export async function regionsByCode(tx: EntityManager, codes: readonly string[]): Promise<Map<string, RegionOfFigure>> {
  if (codes.length === 0) return new Map();
  const rows = await boundQuery<RegionOfFigure>(tx, 'select code, name, level, path from region where code = any(?::text[])', [pgArray(codes)]);
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
  const rows = await boundQuery<KeyedRow>(tx, `
    select id::text, idempotency_key, indicator_id, region_code, value::text, numerator::text, denominator::text, to_char(as_of, 'YYYY-MM-DD') as as_of, note
    from submission where submitted_by_id = ? and idempotency_key = any(?::text[])`, [userId, pgArray(keys)]);
  return new Map(rows.map((r) => [r.idempotency_key, r]));
}

/** A row's day as it stands: the latest figure that is not returned, if any. */
export interface DayRow {
  i: number;
  latest_id: string | null;
  value: string | null;
  numerator: string | null;
  denominator: string | null;
  note: string | null;
}

/** For each row (`i`, indicator × region × day), one probe of the submissions' index. */
export async function daysOf(tx: EntityManager, rows: readonly { i: number; indicatorId: number; regionCode: string; asOf: string }[]): Promise<Map<number, DayRow>> {
  if (rows.length === 0) return new Map();
  const found = await boundQuery<DayRow>(tx, `
    select k.i, l.id::text as latest_id, l.value::text, l.numerator::text, l.denominator::text, l.note
    from json_to_recordset(?::json) as k(i int, n int, r text, a date)
    join lateral (
      select s.id, s.value, s.numerator, s.denominator, s.note from submission s
      where s.indicator_id = k.n and s.region_code = k.r and s.as_of = k.a and s.status <> 'RETURNED'
      order by s.id desc limit 1
    ) l on true`, [JSON.stringify(rows.map((r) => ({ i: r.i, n: r.indicatorId, r: r.regionCode, a: r.asOf })))]);
  return new Map(found.map((r) => [Number(r.i), r]));
}

/** A submission to insert. */
export interface NewSubmission {
  indicatorId: number;
  regionCode: string;
  value: number;
  numerator: number | null;
  denominator: number | null;
  asOf: string;
  note: string | null;
  idempotencyKey: string | null;
}

export const dayKey = (indicatorId: number, regionCode: string, asOf: string) => `${indicatorId}|${regionCode}|${asOf}`;

/**
 * Inserts the submissions and their audit entries in one statement (SUBMIT, or CORRECT where a
 * figure of the same day was there before it, with the submission as the audit trail keeps it, as
 * `snapshot(row, SUBMISSION_FIELDS)` writes it for one). Returns each one's id, keyed by indicator ×
 * region × day (unique within a call).
 */
export async function insertSubmissions(tx: EntityManager, rows: readonly NewSubmission[], userId: number, at: Date): Promise<Map<string, string>> {
  if (rows.length === 0) return new Map();
  const records = rows.map((r) => ({ n: r.indicatorId, r: r.regionCode, v: r.value, p: r.numerator, q: r.denominator, a: r.asOf, t: r.note, k: r.idempotencyKey }));
  const inserted = await boundQuery<{ id: string; indicator_id: number; region_code: string; as_of: string }>(tx, `
    with ins as (
      insert into submission (indicator_id, region_code, value, numerator, denominator, as_of, note, status, submitted_by_id, submitted_at, idempotency_key, synthetic)
      select r.n, r.r, r.v, r.p, r.q, r.a, r.t, 'SUBMITTED'::submission_status, ?, ?, r.k, false
      from json_to_recordset(?::json) as r(n int, r text, v numeric, p numeric, q numeric, a date, t text, k text)
      returning id, indicator_id, region_code, value, numerator, denominator, as_of, note
    ), audited as (
      insert into audit_entry (at, actor_id, action, entity_type, entity_id, indicator_code, region_code, before, after)
      select ?, ?,
        case when exists (select 1 from submission s where s.indicator_id = ins.indicator_id and s.region_code = ins.region_code and s.as_of = ins.as_of)
          then 'CORRECT' else 'SUBMIT' end,
        'Submission', ins.id::text, i.code, ins.region_code, null,
        jsonb_build_object('indicator', i.code, 'region', ins.region_code, 'value', ins.value::float8, 'numerator', ins.numerator::float8,
          'denominator', ins.denominator::float8, 'asOf', to_char(ins.as_of, 'YYYY-MM-DD'), 'note', ins.note, 'status', 'SUBMITTED',
          'submittedBy', ?::int, 'reviewedBy', null, 'reviewNote', null)
      from ins join indicator i on i.id = ins.indicator_id
    )
    select id::text, indicator_id, region_code, to_char(as_of, 'YYYY-MM-DD') as as_of from ins`,
  [userId, at, JSON.stringify(records), at, userId, userId]);
  return new Map(inserted.map((r) => [dayKey(Number(r.indicator_id), r.region_code, r.as_of), r.id]));
}
