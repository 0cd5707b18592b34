import { Interpolation } from '../src/modules/trajectory/trajectory.entity';
import { expectedOn, type Plan } from '../src/modules/trajectory/trajectory.plan';

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
