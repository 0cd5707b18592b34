import { ProgressDetailDocument, SetTargetDocument, SubmitDocument, type SubmitMutationVariables } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';

/**
 * The progress engine, on figures worked out by hand. The demo's own figures are as of 2019-06-30;
 * the figures here are entered in March, with the server's clock in March, and read as of March,
 * so only they count.
 */
let server: TestServer;
let admin: string;
beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token('admin');
});
afterAll(() => server.close());

type Figure = SubmitMutationVariables['input'];
async function enter(day: string, figures: Omit<Figure, 'asOf'>[]): Promise<void> {
  server.setToday(day);
  for (const f of figures) {
    const res = await server.gql(SubmitDocument, { input: { ...f, asOf: day } }, admin);
    expect(res.errors).toBeUndefined();
  }
  server.setToday('2019-06-30');
}
async function progress(indicator: string, region: string, asOf?: string) {
  const res = await server.gql(ProgressDetailDocument, { indicator, region, asOf }, admin);
  expect(res.errors).toBeUndefined();
  return res.data!.indicator.progress;
}
const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;

describe('roll-up', () => {
  beforeAll(async () => {
    await enter('2019-03-15', [
      { indicator: 'P3-02', region: '330302', value: 3 },
      { indicator: 'P3-02', region: '330303', value: 5 },
      { indicator: 'P1-01', region: '330302', value: 40, numerator: 2, denominator: 5 },
      { indicator: 'P1-01', region: '330303', value: 60, numerator: 30, denominator: 50 },
    ]);
    await enter('2019-03-20', [{ indicator: 'P3-02', region: '330304', value: 2 }]);
    await enter('2019-03-25', [{ indicator: 'P3-02', region: '330304', value: 4 }]); // a correction: a new row
  });

  it('SUM: adds the latest figure of each county; a correction replaces, never adds', async () => {
    const p = await progress('P3-02', '330300', '2019-03-31');
    expect(p.actual).toBe(3 + 5 + 4);
    expect(p.reportedCount).toBe(3);
    expect(p.expectedCount).toBe(12);
  });

  it('rebuilds any past day from the history', async () => {
    expect((await progress('P3-02', '330300', '2019-03-16')).actual).toBe(8);
    expect((await progress('P3-02', '330300', '2019-03-22')).actual).toBe(10);
    expect((await progress('P3-02', '330300', '2019-03-14')).actual).toBeNull();
    expect((await progress('P3-02', '330300', '2019-03-31')).history).toEqual([
      { asOf: '2019-03-15', actual: 8 }, { asOf: '2019-03-20', actual: 10 }, { asOf: '2019-03-25', actual: 12 },
    ]);
  });

  it('RATIO: sums numerators and denominators, then divides (not the mean of the shares)', async () => {
    const p = await progress('P1-01', '330300', '2019-03-31');
    expect(p.actual).toBeCloseTo((100 * (2 + 30)) / (5 + 50), 9); // 58.18…, where the mean would be 50
  });

  it('MAX and DOWN: the worst county against an upper bound', async () => {
    // P4-11 (困难群众 per worker, at most 500:1): the city reads its worst county.
    await enter('2019-03-15', [
      { indicator: 'P4-11', region: '330302', value: 480 },
      { indicator: 'P4-11', region: '330303', value: 520 },
    ]);
    let p = await progress('P4-11', '330300', '2019-03-31');
    expect(p.actual).toBe(520);
    expect(p.target).toMatchObject({ value: 500, comparator: 'LTE' });
    expect(p.completion).toBeCloseTo(500 / 520, 9);
    expect(p.expectedByNow).toBe(500); // no baseline: an upper bound holds all year
    expect(p.status).toBe('ON_TRACK'); // 500 / 520 = 0.96 of the pace
    await enter('2019-03-26', [{ indicator: 'P4-11', region: '330303', value: 450 }]);
    p = await progress('P4-11', '330300', '2019-03-31');
    expect(p.actual).toBe(480);
    expect(p.status).toBe('ACHIEVED');
  });

  it('DOWN with a baseline: expected-by-now runs from the baseline towards the target', async () => {
    // P1-02 (行政村总数, baseline 5404): at most 3000 by the end of the year.
    const set = await server.gql(SetTargetDocument, { input: { indicator: 'P1-02', region: '330300', comparator: 'LTE', value: 3000, deadline: '2019-12-31' } }, admin);
    expect(set.errors).toBeUndefined();
    await enter('2019-03-15', [
      { indicator: 'P1-02', region: '330302', value: 2000 },
      { indicator: 'P1-02', region: '330303', value: 1500 },
    ]);
    const p = await progress('P1-02', '330300', '2019-03-31');
    const share = (days('2019-01-01', '2019-03-31') + 1) / (days('2019-01-01', '2019-12-31') + 1); // 90 / 365
    expect(p.actual).toBe(3500);
    expect(p.expectedByNow).toBeCloseTo(5404 + (3000 - 5404) * share, 6); // 4811.2
    expect(p.completion).toBeCloseTo(3000 / 3500, 9);
    expect(p.status).toBe('ON_TRACK'); // 4811 / 3500: ahead of the pace downwards
  });

  it('AVERAGE and MIN roll up as the mean and the least of the counties', async () => {
    // An indicator of this test's own: a county mean.
    const conn = server.orm.em.fork().getConnection();
    await conn.execute(`insert into indicator (code, programme_id, name, kind, unit, direction, aggregation, scope, reporting_level, decimals, position)
      select 'T-AVG', programme_id, '测试均值', 'GROWTH', '%', 'UP', 'AVERAGE', 'CITY', 'COUNTY', 1, 99 from indicator where code = 'P3-01'`);
    await conn.execute(`insert into indicator (code, programme_id, name, kind, unit, direction, aggregation, scope, reporting_level, decimals, position)
      select 'T-MIN', programme_id, '测试最小', 'COUNT', '个', 'UP', 'MIN', 'CITY', 'COUNTY', 0, 100 from indicator where code = 'P3-01'`);
    await enter('2019-03-15', [
      { indicator: 'T-AVG', region: '330302', value: 10 }, { indicator: 'T-AVG', region: '330303', value: 20 }, { indicator: 'T-AVG', region: '330304', value: 45 },
      { indicator: 'T-MIN', region: '330302', value: 7 }, { indicator: 'T-MIN', region: '330303', value: 3 },
    ]);
    expect((await progress('T-AVG', '330300', '2019-03-31')).actual).toBe(25);
    expect((await progress('T-MIN', '330300', '2019-03-31')).actual).toBe(3);
  });
});

describe('targets and statuses', () => {
  it('GTE paced by the time passed: P3-02 at 12 of 70 by November 15 is BEHIND in March', async () => {
    const p = await progress('P3-02', '330300', '2019-03-31');
    const share = (days('2019-01-01', '2019-03-31') + 1) / (days('2019-01-01', '2019-11-15') + 1); // 90 / 319
    expect(p.target).toMatchObject({ value: 70, comparator: 'GTE', deadline: '2019-11-15' });
    expect(p.completion).toBeCloseTo(12 / 70, 9);
    expect(p.expectedByNow).toBeCloseTo(70 * share, 9); // 19.75
    expect(p.status).toBe('BEHIND'); // 12 / 19.75 = 0.61 < 0.75
  });

  it('AT_RISK from 75% of the pace, ON_TRACK from 95%', async () => {
    // 17 of 19.75 expected = 0.86; then 19 = 0.96.
    await enter('2019-03-28', [{ indicator: 'P3-02', region: '330305', value: 5 }]);
    expect((await progress('P3-02', '330300', '2019-03-31')).status).toBe('AT_RISK');
    await enter('2019-03-29', [{ indicator: 'P3-02', region: '330305', value: 7 }]);
    expect((await progress('P3-02', '330300', '2019-03-31')).status).toBe('ON_TRACK');
  });

  it('RANGE: 3 to 5 is met from 3 to 5, and not above', async () => {
    await enter('2019-03-15', [{ indicator: 'P3-15', region: '330302', value: 2 }, { indicator: 'P3-15', region: '330303', value: 2 }]);
    const p = await progress('P3-15', '330300', '2019-03-31');
    expect(p.target).toMatchObject({ min: 3, max: 5, comparator: 'RANGE' });
    expect(p.actual).toBe(4);
    expect(p.status).toBe('ACHIEVED');
    await enter('2019-03-20', [{ indicator: 'P3-15', region: '330304', value: 3 }]);
    const over = await progress('P3-15', '330300', '2019-03-31');
    expect(over.actual).toBe(7);
    expect(over.status).not.toBe('ACHIEVED');
  });

  it('EQ: met exactly', async () => {
    await server.gql(SetTargetDocument, { input: { indicator: 'P3-10', region: '330300', comparator: 'EQ', value: 9, deadline: '2019-12-31' } }, admin);
    expect((await progress('P3-10', '330300', '2019-06-30')).status).toBe('ACHIEVED'); // the demo's 9
    await enter('2019-06-30', [{ indicator: 'P3-10', region: '330302', value: 50 }]);
    const p = await progress('P3-10', '330300', '2019-06-30');
    expect(p.actual).not.toBe(9);
    expect(p.status).not.toBe('ACHIEVED');
  });

  it('NO_TARGET, NOT_STARTED and OVERDUE', async () => {
    expect((await progress('P3-06', '330300', '2019-06-30')).status).toBe('NO_TARGET');
    expect((await progress('P3-16', '330300', '2019-06-30')).status).toBe('NOT_STARTED');
    const late = await progress('P3-01', '330300', '2019-11-01'); // 25 of 70, and October 31 has passed
    expect(late.actual).toBe(25);
    expect(late.status).toBe('OVERDUE');
  });

  it('every county on its own: "n of m met" at the city', async () => {
    // P1-06: every county at least 10%.
    await enter('2019-03-15', [
      { indicator: 'P1-06', region: '330302', value: 12, numerator: 12, denominator: 100 },
      { indicator: 'P1-06', region: '330303', value: 5, numerator: 5, denominator: 100 },
    ]);
    const p = await progress('P1-06', '330300', '2019-03-31');
    expect(p.target).toBeNull();
    expect(p).toMatchObject({ met: 1, metOf: 12 });
    expect(p.completion).toBeCloseTo(1 / 12, 9);
    expect(p.status).toBe('ON_TRACK'); // 5% where 10% × 90/365 = 2.5% is expected; the rest not started
    const counties = new Map(p.children.map((c) => [c.region.code, c.status]));
    expect(counties.get('330302')).toBe('ACHIEVED');
    expect(counties.get('330303')).toBe('ON_TRACK');
    expect(counties.get('330304')).toBe('NOT_STARTED');
  });

  it('MILESTONE: done or not, and by when; the named counties counted at the city', async () => {
    // P3-20: the five pilot counties, by August 31.
    await enter('2019-03-10', [{ indicator: 'P3-20', region: '330302', value: 1 }, { indicator: 'P3-20', region: '330304', value: 0 }]);
    const march = await progress('P3-20', '330300', '2019-03-31');
    expect(march).toMatchObject({ met: 1, metOf: 5, status: 'ON_TRACK', doneOn: null });
    const lucheng = march.children.find((c) => c.region.code === '330302')!;
    expect(lucheng).toMatchObject({ status: 'ACHIEVED', doneOn: '2019-03-10' });
    const september = await progress('P3-20', '330300', '2019-09-01');
    expect(september).toMatchObject({ met: 1, metOf: 5, status: 'OVERDUE' });
  });
});

describe('forecast', () => {
  it('says P3-01 (25 of 70 by October 31) will miss: the pace since January 1 reaches 42', async () => {
    const p = await progress('P3-01', '330300', '2019-06-30');
    expect(p.status).toBe('BEHIND');
    // Two points, (day 0, 0) and (day 181, 25): at day 304, 25 × 304 / 181.
    expect(p.forecast).toBeCloseTo((25 * 304) / 181, 6);
    expect(p.forecast!).toBeLessThan(70);
  });

  it('is null with fewer than two points', async () => {
    const p = await progress('P1-09', '330300', '2019-06-30'); // a share with no figure
    expect(p.forecast).toBeNull();
  });
});

describe('allocation', () => {
  it('shows the city\'s target beside the sum of the counties\', and flags a mismatch', async () => {
    const before = await progress('P3-01', '330300', '2019-06-30');
    expect(before.allocation).toEqual({ target: 70, childrenSum: 70, childrenWithTarget: 12, childrenCount: 12, mismatch: false });
    const county = await progress('P3-01', '330302', '2019-06-30');
    const set = await server.gql(SetTargetDocument, {
      input: { indicator: 'P3-01', region: '330302', comparator: 'GTE', value: county.target!.value! + 1, deadline: '2019-10-31', expectedVersion: 1 },
    }, admin);
    expect(set.errors).toBeUndefined();
    const after = await progress('P3-01', '330300', '2019-06-30');
    expect(after.allocation).toEqual({ target: 70, childrenSum: 71, childrenWithTarget: 12, childrenCount: 12, mismatch: true });
  });

  it('is null where a target is not split', async () => {
    expect((await progress('P5-08', '330300', '2019-06-30')).allocation).toBeNull(); // the city's own hall
  });
});
