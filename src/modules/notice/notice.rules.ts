import { BadInputError } from '../../core/errors';
import { Direction, IndicatorKind } from '../indicator/indicator.entity';
import { daysBetween, deadlineOf } from '../progress/progress.judge';
import { ProgressStatus, type Progress } from '../progress/progress.types';
import { Comparator } from '../target/target.entity';
import { NoticeColour } from './notice.entity';

export interface Rules {
  blueWithinDays: number;
  yellowBehindShare: number;
  redBehindShare: number;
  escalateAfterWorkingDays: number;
}

/** What the rules make of a progress today: met, a colour with its reason, or nothing to say. */
export type Verdict = { kind: 'MET' } | { kind: 'NONE' } | { kind: 'COLOUR'; colour: NoticeColour; reason: string };

const pct = (share: number) => `${Math.round(share * 1000) / 10}%`;

/** How far the figure is behind what is expected by now, as a share of it (0.4: 40% behind); null where pace does not apply. */
export function behindShare(p: Progress): number | null {
  if (p.actual === null || p.expectedByNow === null || p.indicator.kind === IndicatorKind.MILESTONE) return null;
  const t = p.target;
  const down = t?.comparator === Comparator.LTE || (p.indicator.direction === Direction.DOWN && t?.comparator === Comparator.EQ);
  const pace = down ? (p.actual === 0 ? Infinity : p.expectedByNow / p.actual) : p.expectedByNow === 0 ? Infinity : p.actual / p.expectedByNow;
  // Rounded, so that 70 of 100 is 30% behind exactly (not 30.000000000000004%) and sits on the edge it should.
  return Math.max(0, Math.round((1 - pace) * 1e9) / 1e9);
}

/**
 * The colour a notice should have: RED when overdue (past the deadline it judges by: the target's,
 * or a granted extension) or behind by more than redBehindShare; YELLOW when behind by more than
 * yellowBehindShare; BLUE when the deadline is within blueWithinDays. Pace is judged only up to the
 * target's own deadline and only on a figure reported (a region that has not reported is for urges).
 * An extended notice stays at least BLUE until done.
 */
export function verdict(p: Progress, rules: Rules, today: string, extendedTo?: string | null): Verdict {
  if (!p.target) return { kind: 'NONE' };
  if (p.status === ProgressStatus.ACHIEVED) return { kind: 'MET' };
  const targetDeadline = deadlineOf(p.indicator, p.target);
  const deadline = extendedTo && extendedTo > targetDeadline ? extendedTo : targetDeadline;
  if (today > deadline) return { kind: 'COLOUR', colour: NoticeColour.RED, reason: `已逾期：截止 ${deadline}，未达标` };
  const behind = today <= targetDeadline ? behindShare(p) : null;
  if (behind !== null && behind > rules.redBehindShare) {
    return { kind: 'COLOUR', colour: NoticeColour.RED, reason: `严重滞后：落后序时进度 ${pct(behind)}（红色阈值 ${pct(rules.redBehindShare)}）` };
  }
  if (behind !== null && behind > rules.yellowBehindShare) {
    return { kind: 'COLOUR', colour: NoticeColour.YELLOW, reason: `滞后：落后序时进度 ${pct(behind)}（黄色阈值 ${pct(rules.yellowBehindShare)}）` };
  }
  const left = daysBetween(today, deadline);
  if (left <= rules.blueWithinDays || (extendedTo && extendedTo > targetDeadline)) {
    return { kind: 'COLOUR', colour: NoticeColour.BLUE, reason: `临近截止：距 ${deadline} 还有 ${left} 天，未达标` };
  }
  return { kind: 'NONE' };
}

const RANK: Record<NoticeColour, number> = { BLUE: 1, YELLOW: 2, RED: 3 };
export const higher = (a: NoticeColour, b: NoticeColour) => RANK[a] > RANK[b];

export const LIMITS = { maxBlueDays: 366, maxEscalateDays: 60 } as const;

/** Checks a programme's rules; the error names the field at fault. */
export function checkRules(r: Rules): void {
  if (!Number.isInteger(r.blueWithinDays) || r.blueWithinDays < 0 || r.blueWithinDays > LIMITS.maxBlueDays) {
    throw new BadInputError(`blueWithinDays ${r.blueWithinDays} is not a whole number of days from 0 to ${LIMITS.maxBlueDays}`, 'blueWithinDays');
  }
  if (!Number.isFinite(r.yellowBehindShare) || r.yellowBehindShare <= 0 || r.yellowBehindShare >= 1) {
    throw new BadInputError(`yellowBehindShare ${r.yellowBehindShare} is not a share between 0 and 1 (0.1 is 10%)`, 'yellowBehindShare');
  }
  if (!Number.isFinite(r.redBehindShare) || r.redBehindShare <= 0 || r.redBehindShare > 1) {
    throw new BadInputError(`redBehindShare ${r.redBehindShare} is not a share above 0 and at most 1`, 'redBehindShare');
  }
  if (r.redBehindShare <= r.yellowBehindShare) {
    throw new BadInputError(`redBehindShare ${r.redBehindShare} must be larger than yellowBehindShare ${r.yellowBehindShare}`, 'redBehindShare');
  }
  if (!Number.isInteger(r.escalateAfterWorkingDays) || r.escalateAfterWorkingDays < 1 || r.escalateAfterWorkingDays > LIMITS.maxEscalateDays) {
    throw new BadInputError(`escalateAfterWorkingDays ${r.escalateAfterWorkingDays} is not a whole number from 1 to ${LIMITS.maxEscalateDays}`, 'escalateAfterWorkingDays');
  }
}
