import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../../clock';
import { pgArray } from '../../common/pg-array';
import { createProgressLoaders } from '../progress/progress.loader';
import { createRegionLoaders } from '../region/region.loader';
import type { NewEvent } from '../events/outbox.service';
import { Indicator } from '../indicator/indicator.entity';
import type { Progress } from '../progress/progress.types';
import { Target } from '../target/target.entity';
import { Notice, NoticeColour, NoticeState } from './notice.entity';
import { DEFAULT_RULES, NoticeRules } from './notice-rules.entity';
import { before, loadPeople, record, type Change, type People } from './notice.record';
import { higher, verdict, type Rules } from './notice.rules';
import { workingDaysAfter } from './working-days';

export interface Pair {
  indicatorId: number;
  regionCode: string;
}

/** What to evaluate: every pair with a target (a day's sweep), a programme's, or named pairs. */
export type Scope = { all: true } | { programmeIds: number[] } | { pairs: Pair[] };

const pairKey = (p: Pair) => `${p.indicatorId}|${p.regionCode}`;

/** The rules of each programme, defaults where none were set. */
export async function rulesOf(em: EntityManager, programmeIds: number[]): Promise<Map<number, Rules>> {
  const rows = programmeIds.length ? await em.find(NoticeRules, { programme: { $in: programmeIds } }) : [];
  const byProgramme = new Map<number, Rules>(programmeIds.map((id) => [id, { ...DEFAULT_RULES }]));
  for (const r of rows) byProgramme.set(r.programme.id, r);
  return byProgramme;
}

/** The pairs in scope that have a target or an open notice: one statement. */
async function candidates(tx: EntityManager, scope: Scope): Promise<Pair[]> {
  const filter = 'all' in scope ? 'true'
    : 'programmeIds' in scope ? 'i.programme_id = any(?::int[])'
      : 'x.indicator_id || \'|\' || x.region_code = any(?::text[])';
  const params = 'all' in scope ? [] : 'programmeIds' in scope ? [pgArray(scope.programmeIds)] : [pgArray(scope.pairs.map(pairKey))];
  const rows = await tx.execute<{ indicator_id: number; region_code: string }[]>(`
    select distinct x.indicator_id, x.region_code from (
      select indicator_id, region_code from target
      union select indicator_id, region_code from notice where closed_at is null
    ) x join indicator i on i.id = x.indicator_id
    where ${filter}`, params);
  return rows.map((r) => ({ indicatorId: Number(r.indicator_id), regionCode: r.region_code }));
}

/**
 * Applies the rules to the pairs in scope, today, in `tx`: issues notices, raises and lowers them,
 * completes them by rule when the figure meets the target, lifts them when no rule applies, and
 * escalates REDs left unacknowledged. The open notices are locked while judged (a person's
 * transition waits, and is judged after). Returns the events to append.
 */
export async function evaluate(tx: EntityManager, clock: Clock, scope: Scope, people?: People): Promise<NewEvent[]> {
  const pairs = await candidates(tx, scope);
  if (pairs.length === 0) return [];
  const today = clock.today();
  const loaders = createProgressLoaders(tx, clock, createRegionLoaders(tx));
  const indicatorIds = [...new Set(pairs.map((p) => p.indicatorId))];
  const [progress, open] = await Promise.all([
    loaders.progress.loadMany(pairs.map((p) => ({ ...p, asOf: today }))),
    tx.find(Notice, { closedAt: null, indicator: { $in: indicatorIds }, region: { code: { $in: [...new Set(pairs.map((p) => p.regionCode))] } } },
      { lockMode: LockMode.PESSIMISTIC_WRITE }),
  ]);
  const indicators = new Map((await tx.find(Indicator, { id: { $in: indicatorIds } }, { populate: ['programme'] })).map((i) => [i.id, i]));
  const rules = await rulesOf(tx, [...new Set([...indicators.values()].map((i) => i.programme.id))]);
  const openByPair = new Map(open.map((n) => [`${n.indicator.id}|${n.region.code}`, n]));
  const changes: Change[] = [];
  const created: Change[] = [];
  pairs.forEach((pair, i) => {
    const p = progress[i];
    if (p instanceof Error) return;
    const change = judgeOne(tx, clock, p, openByPair.get(pairKey(pair)), rules.get(p.indicator.programme.id)!);
    if (change) (change.action === 'ISSUED' ? created : changes).push(change);
  });
  if (created.length) await tx.flush();
  const all = [...created, ...changes];
  if (all.length === 0) return [];
  const everyone = people ?? await loadPeople(tx);
  const events = all.flatMap((c) => record(tx, clock, everyone, c));
  await tx.flush();
  return events;
}

/** The change the rules make to one pair's notice, if any (the notice is changed in place). */
export function judgeOne(tx: EntityManager, clock: Clock, p: Progress, notice: Notice | undefined, rules: Rules): Change | undefined {
  const today = clock.today();
  const v = verdict(p, rules, today, notice?.extendedTo);
  const base = { indicator: p.indicator, region: p.region };
  if (!notice) {
    if (v.kind !== 'COLOUR' || !p.target) return undefined;
    const created = tx.create(Notice, {
      // A progress's target is read, not managed (target.rows.ts): the notice refers to it by id.
      indicator: p.indicator, region: p.region, target: tx.getReference(Target, p.target.id), colour: v.colour, state: NoticeState.ISSUED, reason: v.reason,
      deadline: p.target.deadline ?? p.indicator.programme.endsOn, issuedOn: today, redSince: v.colour === NoticeColour.RED ? today : undefined,
      issuedAt: clock.now(), updatedAt: clock.now(),
    });
    return { ...base, notice: created, action: 'ISSUED', before: null, audiences: ['REGION'] };
  }
  const was = before(notice);
  const touch = () => { notice.updatedAt = clock.now(); };
  if (notice.state === NoticeState.COMPLETED) return undefined;
  if (v.kind === 'MET') {
    if (notice.state === NoticeState.RETURNED) return undefined;
    notice.state = NoticeState.COMPLETED;
    notice.reason = '已达标';
    touch();
    return { ...base, notice, action: 'COMPLETED', note: '数据已达标，自动办结', before: was, audiences: ['REGION', 'DEPARTMENT'] };
  }
  if (v.kind === 'NONE') {
    notice.state = NoticeState.LIFTED;
    notice.reason = '已不再滞后或临近截止';
    notice.closedAt = clock.now();
    touch();
    return { ...base, notice, action: 'LIFTED', before: was, audiences: ['REGION'] };
  }
  if (p.target && p.target.id !== notice.target.id) {
    notice.target = tx.getReference(Target, p.target.id);
    notice.deadline = p.target.deadline ?? p.indicator.programme.endsOn;
  }
  if (v.colour !== notice.colour) {
    const raised = higher(v.colour, notice.colour);
    notice.colour = v.colour;
    notice.reason = v.reason;
    if (v.colour === NoticeColour.RED) notice.redSince = today;
    touch();
    return { ...base, notice, action: raised ? 'RAISED' : 'LOWERED', before: was, audiences: ['REGION'] };
  }
  if (notice.colour === NoticeColour.RED && notice.state === NoticeState.ISSUED && !notice.escalatedAt && notice.redSince
    && workingDaysAfter(notice.redSince, today) >= rules.escalateAfterWorkingDays) {
    notice.escalatedAt = clock.now();
    touch();
    return { ...base, notice, action: 'ESCALATED', before: was, audiences: ['LEADERS', 'DEPARTMENT'] };
  }
  return undefined;
}
