import { Interpolation } from '../src/modules/trajectory/trajectory.entity';
import { expectedOn, type Plan } from '../src/modules/trajectory/trajectory.plan';
import { Aggregation, Direction, Indicator, IndicatorKind } from '../src/modules/indicator/indicator.entity';
import { Programme } from '../src/modules/programme/programme.entity';
import { Comparator, Target } from '../src/modules/target/target.entity';
import { outlook } from '../src/modules/progress/progress.forecast';
import { Progress, ProgressStatus } from '../src/modules/progress/progress.types';

/** What a plan expects by a day, as a pure function: steps, lines, the start and the deadline. */
const START = '2019-01-01';
const DEADLINE = '2019-10-31';
const at = (plan: Plan, day: string) => expectedOn(plan, day, START, DEADLINE, 0, 70);

describe('expected by a day', () => {
  const step: Plan = { interpolation: Interpolation.STEP, milestones: [{ on: '2019-06-30', value: 25 }, { on: '2019-09-30', value: 50 }] };
  it.each([
    ['before the first milestone: the starting value', '2019-06-29', 0],
    ['on a milestone: its value', '2019-06-30', 25],
    ['between milestones: the earlier one holds', '2019-09-29', 25],
    ['on the deadline: the target', '2019-10-31', 70],
  ])('STEP, %s', (_name, day, value) => {
    expect(at(step, day)).toBe(value);
  });

  it('LINEAR with one milestone on the deadline is the time-proportional line', () => {
    const line: Plan = { interpolation: Interpolation.LINEAR, milestones: [{ on: DEADLINE, value: 70 }] };
    expect(at(line, '2019-06-30')).toBeCloseTo((70 * 181) / 304, 9);
    expect(at(line, DEADLINE)).toBe(70);
  });

  it('LINEAR between milestones, and on to the target at the deadline', () => {
    const line: Plan = { interpolation: Interpolation.LINEAR, milestones: [{ on: '2019-06-30', value: 25 }] };
    expect(at(line, '2019-06-30')).toBe(25);
    // Halfway (in days) from June 30 to October 31: halfway from 25 to 70.
    expect(at(line, '2019-08-30')).toBeCloseTo(25 + (45 * 61) / 123, 9);
  });

  it('a plan starting later expects nothing before its start', () => {
    const later: Plan = { interpolation: Interpolation.LINEAR, startsOn: '2019-07-01', milestones: [] };
    expect(at(later, '2019-06-30')).toBe(0);
    expect(at(later, '2019-07-01')).toBeCloseTo(70 / 123, 9);
  });
});

describe('the forecast\'s verdict (outlook)', () => {
  const programme = Object.assign(new Programme(), { startsOn: START, endsOn: '2019-12-31' });
  const indicator = Object.assign(new Indicator(), { programme, kind: IndicatorKind.COUNT, aggregation: Aggregation.SUM, direction: Direction.UP });
  const target = Object.assign(new Target(), { id: 1, comparator: Comparator.GTE, value: 70, deadline: DEADLINE });
  const progress = (actual: number, status = ProgressStatus.ON_TRACK) => Object.assign(new Progress(), { indicator, target, asOf: '2019-06-30', actual, status });
  // 40 by June 30 (day 181): on its course 40 × 304 / 181 ≈ 67.2 by the deadline, 40 × 243 / 181 ≈ 53.7 by August 31.
  const points = [{ asOf: '2019-06-30', actual: 40 }];

  it.each([
    ['without a plan: the target at the deadline', null, DEADLINE, 70, 'OFF_COURSE'],
    ['a plan\'s next milestone, made', { interpolation: Interpolation.STEP, milestones: [{ on: '2019-08-31', value: 50 }] }, '2019-08-31', 50, 'ON_COURSE'],
    ['a plan\'s next milestone, missed', { interpolation: Interpolation.STEP, milestones: [{ on: '2019-08-31', value: 60 }] }, '2019-08-31', 60, 'OFF_COURSE'],
    ['a milestone passed: the next one, here the deadline', { interpolation: Interpolation.STEP, milestones: [{ on: '2019-05-31', value: 10 }] }, DEADLINE, 70, 'OFF_COURSE'],
  ] as const)('%s', (_name, plan, on, planned, verdict) => {
    expect(outlook(progress(40), plan as Plan | null, points)).toMatchObject({ on, planned, verdict });
  });

  it('a target met is on course; with one point and no starting value, or past the deadline, there is none', () => {
    expect(outlook(progress(70, ProgressStatus.ACHIEVED), null, points)).toMatchObject({ verdict: 'ON_COURSE', forecast: 70 });
    const rate = Object.assign(new Indicator(), { programme, kind: IndicatorKind.PERCENT, aggregation: Aggregation.RATIO, direction: Direction.UP });
    expect(outlook(Object.assign(progress(40), { indicator: rate }), null, points)).toBeNull();
    expect(outlook(Object.assign(progress(40), { asOf: '2019-11-01' }), null, points)).toBeNull();
  });
});
