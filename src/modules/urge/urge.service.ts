import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { BadInputError, NotFoundError } from '../../core/errors';
import { audit, snapshot } from '../audit/audit.service';
import { selfAndAncestors } from '../region/region.entity';
import type { NewEvent } from '../events/outbox.service';
import type { UnitOfWork } from '../events/unit-of-work';
import { findIndicatorAndRegion } from '../indicator/indicator.lookup';
import type { Indicator } from '../indicator/indicator.entity';
import { Programme } from '../programme/programme.entity';
import { Region } from '../region/region.entity';
import { Submission } from '../submission/submission.entity';
import { User } from '../user/user.entity';
import { assertMayWrite } from '../user/user.scope';
import { Urge } from './urge.entity';
import type { UrgeInput } from './urge.input';

const URGE_FIELDS = ['indicator', 'region', 'dueOn', 'message', 'resolvedAt', 'resolvedBy'] as const;

/** The reporters an urge reaches: those whose region scope covers the region, or lies inside it. */
async function reportersOf(tx: EntityManager, region: Region): Promise<number[]> {
  const rows = await tx.execute<{ id: number }[]>(`
    select u.id from app_user u join region r on r.code = u.region_code
    where u.role = 'REPORTER' and u.disabled_at is null and (r.path like ? or ? like r.path || '%')`,
  [`${region.path}%`, region.path]);
  return rows.map((r) => r.id);
}

function urgeChanged(urge: Urge, indicator: Indicator, region: Region, change: 'URGED' | 'RESOLVED'): NewEvent {
  return {
    type: 'UrgeChanged', programmeId: indicator.programme.id, regionCode: region.code, parentCode: region.parent?.code,
    payload: { urgeId: urge.id, change },
  };
}

/**
 * Urges (催办) a region to report: ADMIN, LEADER, or the DEPARTMENT leading the programme. Its
 * reporters are notified and the board shows it, in the same commit.
 */
export async function urge(unit: UnitOfWork, user: User, input: UrgeInput): Promise<Urge> {
  const { em, clock } = unit;
  const { indicator, region } = await findIndicatorAndRegion(em, input);
  assertMayWrite(user, indicator.programme, region, 'urges');
  if (input.dueOn < clock.today()) throw new BadInputError(`dueOn ${input.dueOn} is before today (${clock.today()})`, 'dueOn');
  const message = input.message?.trim() || undefined;
  return unit.transaction(async (tx, outbox) => {
    const created = tx.create(Urge, { indicator, region, dueOn: input.dueOn, message, createdBy: tx.getReference(User, user.id), createdAt: clock.now() });
    await tx.flush();
    audit(tx, user, clock.now(), {
      action: 'URGE', entityType: 'Urge', entityId: created.id, indicatorCode: indicator.code, regionCode: region.code,
      after: snapshot(created, URGE_FIELDS),
    });
    const text = `催办：${indicator.code} ${indicator.name}，${region.name}，请于 ${input.dueOn} 前报送${message ? `（${message}）` : ''}`;
    outbox.add(
      urgeChanged(created, indicator, region, 'URGED'),
      ...(await reportersOf(tx, region)).map((userId) => ({ type: 'Notification', userId, payload: { kind: 'URGED', urgeId: created.id, message: text } })),
    );
    return created;
  });
}

/** A figure just inserted, as the urges it answers are found by. */
export interface FigureInserted {
  submissionId: string;
  indicator: Indicator;
  region: Pick<Region, 'code' | 'path'>;
}

/**
 * In a submission's transaction: the open urges it answers (the indicator, in the region or one of
 * its ancestors) are resolved, each with an audit entry and an event for the boards.
 */
export async function resolveUrges(tx: EntityManager, clock: Clock, submission: Submission, indicator: Indicator, region: Region): Promise<NewEvent[]> {
  return resolveUrgesOf(tx, clock, [{ submissionId: submission.id, indicator, region }]);
}

/**
 * The same for many figures of one transaction, in one query: each open urge is resolved by the
 * first figure (in their order) of its indicator from its region or below.
 */
export async function resolveUrgesOf(tx: EntityManager, clock: Clock, figures: readonly FigureInserted[]): Promise<NewEvent[]> {
  if (figures.length === 0) return [];
  const indicators = new Map(figures.map((f) => [f.indicator.id, f.indicator]));
  const regions = new Set(figures.flatMap((f) => f.region.path.split('/').filter(Boolean)));
  const open = await tx.find(Urge, { indicator: { $in: [...indicators.keys()] }, region: { code: { $in: [...regions] } }, resolvedAt: null }, { populate: ['region'] });
  if (open.length === 0) return [];
  const at = clock.now();
  const events: NewEvent[] = [];
  for (const u of open) {
    const indicator = indicators.get(u.indicator.id)!;
    const by = figures.find((f) => f.indicator.id === indicator.id && f.region.path.startsWith(u.region.path));
    if (!by) continue;
    const before = snapshot(u, URGE_FIELDS);
    u.resolvedAt = at;
    u.resolvedBy = tx.getReference(Submission, by.submissionId);
    audit(tx, undefined, at, {
      action: 'RESOLVE_URGE', entityType: 'Urge', entityId: u.id, indicatorCode: indicator.code, regionCode: u.region.code,
      before, after: { ...snapshot(u, URGE_FIELDS), resolvedBy: by.submissionId },
    });
    events.push(urgeChanged(u, indicator, u.region, 'RESOLVED'));
  }
  return events;
}

export interface LateRow {
  indicator_id: number;
  region_code: string;
  last_as_of: string | null;
  cycle_start: string;
}

/**
 * Who is late: for each indicator of the programme (or one), the regions at its reporting level in
 * the subtree whose latest figure that counts is older than the start of the current reporting
 * cycle (month, quarter, half-year or year of today). One statement.
 */
export async function lateReports(em: EntityManager, clock: Clock, programmeCode: string, root: Region, indicatorCode?: string): Promise<LateRow[]> {
  const programme = await em.findOne(Programme, { code: programmeCode });
  if (!programme) throw new NotFoundError('Programme', programmeCode);
  const today = clock.today();
  return em.execute<LateRow[]>(`
    with cycles as (
      select i.id, i.code, i.position, i.reporting_level, (case i.reporting_cycle
        when 'MONTHLY' then date_trunc('month', ?::date)
        when 'QUARTERLY' then date_trunc('quarter', ?::date)
        when 'HALF_YEARLY' then date_trunc('year', ?::date) + case when extract(month from ?::date) > 6 then interval '6 months' else interval '0' end
        else date_trunc('year', ?::date) end)::date as cycle_start
      from indicator i where i.programme_id = ? and (?::text is null or i.code = ?)
    )
    select c.id as indicator_id, r.code as region_code, to_char(last.as_of, 'YYYY-MM-DD') as last_as_of, to_char(c.cycle_start, 'YYYY-MM-DD') as cycle_start
    from cycles c
    join region r on r.level::text = c.reporting_level::text and r.path >= ? and r.path < ?
    left join lateral (
      select max(s.as_of) as as_of from submission s
      where s.indicator_id = c.id and s.region_code = r.code and s.status::text = any(?::text[])
    ) last on true
    where last.as_of is null or last.as_of < c.cycle_start
    order by c.position, r.code`,
  [today, today, today, today, today, programme.id, indicatorCode ?? null, indicatorCode ?? null, root.path, `${root.path}~`,
    `{${programme.countedStatuses.join(',')}}`]);
}
