import { Aggregation, Direction, Indicator, IndicatorKind } from '../src/modules/indicator/indicator.entity';
import { NoticeColour } from '../src/modules/notice/notice.entity';
import { verdict, type Rules } from '../src/modules/notice/notice.rules';
import { workingDaysAfter } from '../src/modules/notice/working-days';
import { Programme } from '../src/modules/programme/programme.entity';
import { Progress, ProgressStatus } from '../src/modules/progress/progress.types';
import { Comparator, Target } from '../src/modules/target/target.entity';

/** The colour rules at their edges, and the working-day calendar, as pure functions (no database). */
const RULES: Rules = { blueWithinDays: 15, yellowBehindShare: 0.1, redBehindShare: 0.3, escalateAfterWorkingDays: 3 };
const programme = Object.assign(new Programme(), { id: 1, code: 'P', year: 2019, startsOn: '2019-01-01', endsOn: '2019-12-31' });
const indicator = Object.assign(new Indicator(), { id: 1, code: 'P-01', kind: IndicatorKind.COUNT, direction: Direction.UP, aggregation: Aggregation.SUM, programme });
const target = Object.assign(new Target(), { id: 1, comparator: Comparator.GTE, value: 100, deadline: '2019-10-31' });

function progress(actual: number | null, expectedByNow: number, status = ProgressStatus.ON_TRACK): Progress {
  return Object.assign(new Progress(), { indicator, target, actual, expectedByNow, status, reportedCount: actual === null ? 0 : 1 });
}
const colour = (p: Progress, today: string, extendedTo?: string) => {
  const v = verdict(p, RULES, today, extendedTo);
  return v.kind === 'COLOUR' ? v.colour : v.kind;
};

describe('the colour of a notice', () => {
  it.each([
    // behind share = 1 − actual / expected
    ['exactly 10% behind is not yet YELLOW', 90, 100, '2019-06-30', 'NONE'],
    ['just over 10% behind is YELLOW', 89.9, 100, '2019-06-30', NoticeColour.YELLOW],
    ['exactly 30% behind is YELLOW, not RED', 70, 100, '2019-06-30', NoticeColour.YELLOW],
    ['just over 30% behind is RED', 69.9, 100, '2019-06-30', NoticeColour.RED],
    ['on pace, 15 days before the deadline, is BLUE', 100, 100, '2019-10-16', NoticeColour.BLUE],
    ['on pace, 16 days before the deadline, is nothing', 100, 100, '2019-10-15', 'NONE'],
    ['on the deadline day, not met, is BLUE', 100, 100, '2019-10-31', NoticeColour.BLUE],
    ['the day after the deadline, not met, is RED', 100, 100, '2019-11-01', NoticeColour.RED],
    ['no figure, far from the deadline: not judged by pace', null, 100, '2019-06-30', 'NONE'],
    ['no figure, near the deadline: BLUE', null, 100, '2019-10-20', NoticeColour.BLUE],
  ] as const)('%s', (_name, actual, expected, today, want) => {
    expect(colour(progress(actual, expected), today)).toBe(want);
  });

  it('a met target is MET whatever the day', () => {
    expect(colour(progress(100, 100, ProgressStatus.ACHIEVED), '2019-11-15')).toBe('MET');
  });

  it('a granted extension moves the deadline it judges by, and keeps it at least BLUE', () => {
    expect(colour(progress(50, 100), '2019-11-01', '2019-12-31')).toBe(NoticeColour.BLUE);
    expect(colour(progress(50, 100), '2020-01-01', '2019-12-31')).toBe(NoticeColour.RED);
  });

  it('without a target there is nothing to say', () => {
    expect(verdict(Object.assign(progress(1, 1), { target: null }), RULES, '2019-06-30')).toEqual({ kind: 'NONE' });
  });
});

describe('working days (chinese-days)', () => {
  it.each([
    ['Friday to the next Monday: the weekend is off', '2019-06-28', '2019-07-01', 1],
    ['over the National Day holiday, with its make-up Sunday', '2019-09-27', '2019-10-08', 3],
    ['the make-up Saturday after it counts', '2019-10-08', '2019-10-12', 4],
    ['the same day is none', '2019-06-30', '2019-06-30', 0],
  ])('%s', (_name, from, to, n) => {
    expect(workingDaysAfter(from, to)).toBe(n);
  });
});
