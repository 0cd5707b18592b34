import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadInputError, ConflictError, ForbiddenError, NotFoundError } from '../../core/errors';
import { createProgressLoaders } from '../progress/progress.loader';
import { createRegionLoaders } from '../region/region.loader';
import type { UnitOfWork } from '../events/unit-of-work';
import { checkInYear } from '../indicator/indicator.rules';
import { Programme } from '../programme/programme.entity';
import { ProgressStatus } from '../progress/progress.types';
import { Role, User as UserEntity, type User } from '../user/user.entity';
import { assertMayWrite, inScope } from '../user/user.scope';
import { Notice, NoticeState } from './notice.entity';
import { DEFAULT_RULES, NoticeRules } from './notice-rules.entity';
import { evaluate } from './notice.evaluate';
import type { CompletionDecision, DecideExtensionInput, ExtensionDecision, RequestExtensionInput, ReviewCompletionInput, SetNoticeRulesInput } from './notice.input';
import { before, loadPeople, record, type Audience } from './notice.record';
import { checkRules } from './notice.rules';
import { audit } from '../audit/audit.service';

/** Who makes a step: the region's reporters (签收, 申请延期, 办结) or the leading department (批准, 验收). */
type Side = 'REGION' | 'DEPARTMENT';

function assertMayAct(user: User, notice: Notice, side: Side): void {
  if (side === 'DEPARTMENT') return assertMayWrite(user, notice.indicator.programme, notice.region, 'reviews');
  if (user.role === Role.ADMIN) return;
  if (user.role !== Role.REPORTER) throw new ForbiddenError(`The region's reporters acknowledge, ask for extensions and report completion; you are ${user.role}`);
  if (!inScope(user, notice.region)) throw new ForbiddenError(`${notice.region.name} (${notice.region.code}) is outside your region ${user.region?.name ?? ''}`.trim());
}

async function findNotice(em: EntityManager, id: string): Promise<Notice> {
  if (!/^\d{1,18}$/.test(id)) throw new BadInputError(`notice "${id.slice(0, 40)}" is not a notice id`, 'notice');
  const notice = await em.findOne(Notice, { id }, { populate: ['indicator.programme', 'region'] });
  if (!notice) throw new NotFoundError('Notice', id);
  return notice;
}

interface Step {
  action: string;
  note?: string;
  audiences: Audience[];
  /** Changes the notice (locked, in the transaction). */
  apply(notice: Notice): void;
}

/**
 * Moves a notice one step, in one transaction: checks who may (before anything is written) and that
 * the notice is in a state it can leave that way (CONFLICT otherwise), records the step (history,
 * audit, board event, notifications), then judges the notice again by the rules (a granted
 * extension can lower it).
 */
async function move(unit: UnitOfWork, user: User, id: string, side: Side, from: NoticeState[], check: (n: Notice) => Promise<void> | void, step: Step): Promise<Notice> {
  const { em, clock } = unit;
  const found = await findNotice(em, id);
  assertMayAct(user, found, side);
  const conflict = (state: NoticeState) => new ConflictError(`The notice is ${state}; ${step.action} needs it ${from.join(' or ')}`, { state });
  if (!from.includes(found.state)) throw conflict(found.state);
  await check(found);
  return unit.transaction(async (tx, outbox) => {
    const notice = await tx.findOneOrFail(Notice, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, populate: ['indicator.programme', 'region'] });
    if (!from.includes(notice.state)) throw conflict(notice.state);
    const was = before(notice);
    step.apply(notice);
    notice.updatedAt = clock.now();
    const people = await loadPeople(tx);
    const events = record(tx, clock, people, { notice, indicator: notice.indicator, region: notice.region, action: step.action, actor: user, note: step.note, before: was, audiences: step.audiences });
    await tx.flush();
    events.push(...await evaluate(tx, clock, { pairs: [{ indicatorId: notice.indicator.id, regionCode: notice.region.code }] }, people));
    outbox.add(...events);
    return notice;
  });
}

const noteOf = (note?: string) => note?.trim() || undefined;

export function acknowledge(unit: UnitOfWork, user: User, id: string, note?: string) {
  return move(unit, user, id, 'REGION', [NoticeState.ISSUED], () => undefined, {
    action: 'ACKNOWLEDGED', note: noteOf(note), audiences: ['DEPARTMENT'], apply: (n) => { n.state = NoticeState.ACKNOWLEDGED; },
  });
}

export function requestExtension(unit: UnitOfWork, user: User, input: RequestExtensionInput) {
  const reason = noteOf(input.reason);
  return move(unit, user, input.notice, 'REGION',
    [NoticeState.ACKNOWLEDGED, NoticeState.EXTENSION_GRANTED, NoticeState.EXTENSION_REFUSED, NoticeState.RETURNED], (n) => {
      checkInYear(input.until, n.indicator.programme.year, 'until');
      const judged = n.extendedTo ?? n.deadline;
      if (input.until <= judged) throw new BadInputError(`until ${input.until} is not after the deadline the notice judges by (${judged})`, 'until');
      if (!reason) throw new BadInputError('Say why the extension is needed', 'reason');
    }, {
      action: 'EXTENSION_REQUESTED', note: reason, audiences: ['DEPARTMENT'],
      apply: (n) => { n.state = NoticeState.EXTENSION_REQUESTED; n.requestedUntil = input.until; },
    });
}

export function decideExtension(unit: UnitOfWork, user: User, input: DecideExtensionInput) {
  const note = noteOf(input.note);
  const granted = input.decision === ('GRANTED' as ExtensionDecision);
  return move(unit, user, input.notice, 'DEPARTMENT', [NoticeState.EXTENSION_REQUESTED], () => {
    if (!granted && !note) throw new BadInputError('Say why the extension is refused', 'note');
  }, {
    action: granted ? 'EXTENSION_GRANTED' : 'EXTENSION_REFUSED', note, audiences: ['REGION'],
    apply: (n) => {
      n.state = granted ? NoticeState.EXTENSION_GRANTED : NoticeState.EXTENSION_REFUSED;
      if (granted) n.extendedTo = n.requestedUntil;
    },
  });
}

export function complete(unit: UnitOfWork, user: User, id: string, note?: string) {
  return move(unit, user, id, 'REGION',
    [NoticeState.ACKNOWLEDGED, NoticeState.EXTENSION_GRANTED, NoticeState.EXTENSION_REFUSED, NoticeState.RETURNED], async (n) => {
      const { em, clock } = unit;
      const p = await createProgressLoaders(em, clock, createRegionLoaders(em)).progress.load({ indicatorId: n.indicator.id, regionCode: n.region.code, asOf: clock.today() });
      if (p.status !== ProgressStatus.ACHIEVED) {
        throw new BadInputError(`${n.indicator.code} in ${n.region.name} does not meet its target yet (${p.actual ?? 'no figure'}): report the figure first`, 'notice');
      }
    }, {
      action: 'COMPLETED', note: noteOf(note), audiences: ['DEPARTMENT'], apply: (n) => { n.state = NoticeState.COMPLETED; n.reason = '已达标'; },
    });
}

export function reviewCompletion(unit: UnitOfWork, user: User, input: ReviewCompletionInput) {
  const note = noteOf(input.note);
  const accepted = input.decision === ('ACCEPTED' as CompletionDecision);
  return move(unit, user, input.notice, 'DEPARTMENT', [NoticeState.COMPLETED], () => {
    if (!accepted && !note) throw new BadInputError('Say why the completion is returned', 'note');
  }, {
    action: accepted ? 'ACCEPTED' : 'RETURNED', note, audiences: ['REGION'],
    apply: (n) => {
      n.state = accepted ? NoticeState.ACCEPTED : NoticeState.RETURNED;
      if (accepted) n.closedAt = unit.clock.now();
    },
  });
}

/** Sets a programme's notice rules (ADMIN or the leading DEPARTMENT); the programme is judged again. */
export async function setNoticeRules(unit: UnitOfWork, user: User, input: SetNoticeRulesInput): Promise<NoticeRules> {
  const { em, clock } = unit;
  const programme = await em.findOne(Programme, { code: input.programme });
  if (!programme) throw new NotFoundError('Programme', input.programme);
  assertMayWrite(user, programme, undefined, 'programme settings');
  return unit.transaction(async (tx, outbox) => {
    const existing = await tx.findOne(NoticeRules, { programme }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const current = existing ?? { ...DEFAULT_RULES, version: 0 };
    if (input.expectedVersion != null && input.expectedVersion !== current.version) {
      throw new ConflictError(`The rules were changed (version ${current.version}); read them again`, { version: current.version });
    }
    const next = {
      blueWithinDays: input.blueWithinDays ?? current.blueWithinDays, yellowBehindShare: input.yellowBehindShare ?? current.yellowBehindShare,
      redBehindShare: input.redBehindShare ?? current.redBehindShare, escalateAfterWorkingDays: input.escalateAfterWorkingDays ?? current.escalateAfterWorkingDays,
    };
    checkRules(next);
    const was = { blueWithinDays: current.blueWithinDays, yellowBehindShare: current.yellowBehindShare, redBehindShare: current.redBehindShare, escalateAfterWorkingDays: current.escalateAfterWorkingDays };
    const rules = existing ?? tx.create(NoticeRules, { programme, ...next });
    tx.assign(rules, { ...next, updatedBy: tx.getReference(UserEntity, user.id), updatedAt: clock.now() } as never);
    await tx.flush();
    audit(tx, user, clock.now(), { action: 'SET_NOTICE_RULES', entityType: 'Programme', entityId: programme.id, before: existing ? was : null, after: next });
    // The engine judges the programme again when it sees this.
    outbox.add({ type: 'ProgrammeChanged', programmeId: programme.id, payload: { noticeRules: next } });
    return rules;
  });
}
