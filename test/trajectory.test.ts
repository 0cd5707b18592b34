import { startTestServer, type TestServer } from './helpers/test-server';

/** Planned trajectories: expected-by-now and the status follow them, versioned for time travel. */
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const SET = `mutation($input: SetTrajectoryInput!) { setTrajectory(input: $input) { version interpolation milestones { on value } derived } }`;
const PROGRESS = `query($i: String!, $r: String!, $asOf: Date) { indicator(code: $i) { progress(region: $r, asOf: $asOf) {
  actual completion expectedByNow status target { deadline trajectory(asOf: $asOf) { version interpolation derived milestones { on value } } } } } }`;
const SET_TARGET = `mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }`;

async function progress(indicator: string, region: string, asOf?: string) {
  return (await server.ok(PROGRESS, { i: indicator, r: region, asOf }, await server.token('admin'))).indicator.progress;
}

describe('trajectories', () => {
  it('the demo\'s derived plans leave the report\'s figures as they read: P3-01 25 of 70, BEHIND', async () => {
    const p = await progress('P3-01', '330300');
    expect(p).toMatchObject({ actual: 25, status: 'BEHIND' });
    expect(p.completion).toBeCloseTo(0.357, 3);
    expect(p.target.trajectory).toEqual({ version: 1, interpolation: 'LINEAR', derived: true, milestones: [{ on: '2019-10-31', value: 70 }] });
    // The line to 70 on October 31: 181 of its 304 days have passed.
    expect(p.expectedByNow).toBeCloseTo((70 * 181) / 304, 6);
    const p401 = await progress('P4-01', '330300');
    expect(p401.target.trajectory).toMatchObject({ interpolation: 'STEP', derived: true });
  });

  it('a county\'s allocated target follows its plan: a step plan moves expected-by-now and the status; time travel shows the plan as it stood', async () => {
    const yanglao = await server.token('yanglao');
    const before = await progress('P3-01', '330302');
    expect(before.target.trajectory).toBeNull();
    const actual = before.actual as number;
    // Little was planned by mid-year: the county is on track against its plan.
    const set = await server.ok(SET, { input: { indicator: 'P3-01', region: '330302', deadline: '2019-10-31', interpolation: 'STEP',
      milestones: [{ on: '2019-06-01', value: actual }, { on: '2019-09-30', value: actual + 3 }] } }, yanglao);
    expect(set.setTrajectory).toMatchObject({ version: 1, interpolation: 'STEP', derived: false });
    const planned = await progress('P3-01', '330302');
    expect(planned.expectedByNow).toBe(actual);
    expect(planned.status).toBe('ON_TRACK');
    await server.projected();

    // A week later the plan is changed (version 2): a line, far ahead of the figure.
    server.setToday('2019-07-07');
    try {
      await server.ok(SET, { input: { indicator: 'P3-01', region: '330302', deadline: '2019-10-31', interpolation: 'LINEAR', expectedVersion: 1,
        milestones: [{ on: '2019-07-31', value: actual * 4 + 8 }] } }, yanglao);
      const now = await progress('P3-01', '330302', '2019-07-07');
      expect(now.target.trajectory.version).toBe(2);
      expect(now.expectedByNow).toBeGreaterThan(actual * 2);
      expect(now.status).toBe('BEHIND');
      // As of June 30 the plan was version 1; as of June 29 there was none (time-proportional).
      const then = await progress('P3-01', '330302', '2019-06-30');
      expect(then.target.trajectory.version).toBe(1);
      expect(then.expectedByNow).toBe(actual);
      const earlier = await progress('P3-01', '330302', '2019-06-29');
      expect(earlier.target.trajectory).toBeNull();
      expect(earlier.expectedByNow).toBeCloseTo(before.expectedByNow * 180 / 181, 6);
      // A stale version is a CONFLICT.
      const stale = await server.call(SET, { input: { indicator: 'P3-01', region: '330302', deadline: '2019-10-31', interpolation: 'LINEAR', expectedVersion: 1,
        milestones: [{ on: '2019-07-31', value: 1 }] } }, yanglao);
      expect(stale.code).toBe('CONFLICT');
    } finally {
      server.setToday('2019-06-30');
    }
  });

  it('a township\'s target can carry one too, and a start date alone makes it time-proportional from that day', async () => {
    const yanglao = await server.token('yanglao');
    await server.ok(SET_TARGET, { input: { indicator: 'P3-05', region: '330302006', comparator: 'GTE', value: 30, deadline: '2019-12-31' } }, yanglao);
    await server.ok(SET, { input: { indicator: 'P3-05', region: '330302006', deadline: '2019-12-31', interpolation: 'LINEAR', startsOn: '2019-07-01', milestones: [] } }, yanglao);
    const p = await progress('P3-05', '330302006');
    // The plan starts tomorrow: nothing is expected yet.
    expect(p.expectedByNow).toBe(0);
    expect(p.target.trajectory).toMatchObject({ interpolation: 'LINEAR', milestones: [] });
  });

  it('the forecast\'s verdict follows the plan: a county on course for its deadline is off course for its milestone', async () => {
    const OUTLOOK = `query($i: String!, $r: String!) { indicator(code: $i) { progress(region: $r) { actual status forecast outlook { on planned forecast verdict } } } }`;
    const read = async () => (await server.ok(OUTLOOK, { i: 'P3-03', r: '330303' }, await server.token('admin'))).indicator.progress;
    // 龙湾区: 546 of 878 beds by November 30, on a course to about 1008 by then.
    const before = await read();
    expect(before).toMatchObject({ actual: 546, status: 'ON_TRACK', outlook: { on: '2019-11-30', planned: 878, verdict: 'ON_COURSE' } });
    expect(before.outlook.forecast).toBeCloseTo(before.forecast, 9);
    // Its plan: all 878 by the end of July. On its course it has about 640 by then: behind the plan, and judged against it.
    await server.ok(SET, { input: { indicator: 'P3-03', region: '330303', deadline: '2019-11-30', interpolation: 'LINEAR',
      milestones: [{ on: '2019-07-31', value: 878 }] } }, await server.token('yanglao'));
    const after = await read();
    expect(after).toMatchObject({ status: 'BEHIND', outlook: { on: '2019-07-31', planned: 878, verdict: 'OFF_COURSE' } });
    expect(after.outlook.forecast).toBeCloseTo((546 * 212) / 181, 6);
    expect(after.forecast).toBeCloseTo(before.forecast, 9);
  });
});

describe('setTrajectory: bad input writes nothing', () => {
  const base = { indicator: 'P3-01', region: '330303', deadline: '2019-10-31', interpolation: 'LINEAR' };
  it.each([
    ['an unknown indicator', 'yanglao', { ...base, indicator: 'P3-99', milestones: [] }, 'NOT_FOUND', undefined],
    ['no target with that deadline', 'yanglao', { ...base, deadline: '2019-09-30', milestones: [{ on: '2019-08-01', value: 1 }] }, 'NOT_FOUND', undefined],
    ['no milestones and no start', 'yanglao', { ...base, milestones: [] }, 'BAD_USER_INPUT', 'milestones'],
    ['a milestone after the deadline', 'yanglao', { ...base, milestones: [{ on: '2019-11-01', value: 1 }] }, 'BAD_USER_INPUT', 'milestones.0.on'],
    ['a milestone before the start', 'yanglao', { ...base, startsOn: '2019-03-01', milestones: [{ on: '2019-02-01', value: 1 }] }, 'BAD_USER_INPUT', 'milestones.0.on'],
    ['milestones out of order', 'yanglao', { ...base, milestones: [{ on: '2019-08-01', value: 1 }, { on: '2019-07-01', value: 2 }] }, 'BAD_USER_INPUT', 'milestones.1.on'],
    ['a negative count', 'yanglao', { ...base, milestones: [{ on: '2019-08-01', value: -1 }] }, 'BAD_USER_INPUT', 'milestones.0.value'],
    ['a start after the deadline', 'yanglao', { ...base, startsOn: '2019-11-01', milestones: [] }, 'BAD_USER_INPUT', 'startsOn'],
    ['a start outside the year', 'yanglao', { ...base, startsOn: '2018-12-01', milestones: [] }, 'BAD_USER_INPUT', 'startsOn'],
    ['a stale version', 'yanglao', { ...base, expectedVersion: 3, milestones: [{ on: '2019-08-01', value: 1 }] }, 'CONFLICT', undefined],
    ['a bad interpolation', 'yanglao', { ...base, interpolation: 'CUBIC', milestones: [] }, 'BAD_USER_INPUT', undefined],
    ['another department\'s programme', 'yanglao', { ...base, indicator: 'P1-03', milestones: [{ on: '2019-08-01', value: 1 }] }, 'FORBIDDEN', undefined],
    ['a reporter', 'lucheng', { ...base, region: '330302', milestones: [{ on: '2019-08-01', value: 1 }] }, 'FORBIDDEN', undefined],
  ])('%s', async (_name, user, input, code, field) => {
    await server.projected();
    const tables = ['trajectory', 'audit_entry', 'outbox_event'];
    const before = await Promise.all(tables.map((t) => server.count(t)));
    const res = await server.call(SET, { input }, await server.token(user));
    expect(res.code).toBe(code);
    if (field) expect(res.errors![0].extensions!.field).toBe(field);
    expect(await Promise.all(tables.map((t) => server.count(t)))).toEqual(before);
  });
});
