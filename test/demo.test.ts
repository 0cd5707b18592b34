import { createClock } from '../src/clock';
import { readSeed } from '../src/modules/demo/demo.seed';
import { BoardDocument, CatalogueDocument, IndicatorTargetsDocument, ProgressDocument, SubmissionsDocument, TargetsDocument } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';

const seed = readSeed();
const all = seed.programmes.flatMap((p) => p.indicators);
let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = await server.token('screen');
});
afterAll(() => server.close());

describe('the Wenzhou 2019 demo', () => {
  // First: it reads what the demo stamped before any test here writes.
  it('stamps nothing later than the first instant of its own day, so a figure entered live on the pinned clock at any hour is the newest', async () => {
    // The pinned clock runs 2019-06-30 at the real time of day: just after midnight in Wenzhou is its earliest.
    jest.useFakeTimers({ now: new Date('2026-11-30T16:00:01Z'), doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'] });
    let earliest: Date;
    try { earliest = createClock({ pinnedDay: '2019-06-30', timeZone: 'Asia/Shanghai' }).now(); } finally { jest.useRealTimers(); }
    const rows = await server.orm.em.fork().getConnection().execute(`
      select 'submission' as what, max(submitted_at) as at from submission
      union all select 'target', max(updated_at) from target
      union all select 'notice issued', max(issued_at) from notice
      union all select 'notice updated', max(updated_at) from notice
      union all select 'event', max(created_at) from outbox_event where type <> 'TreeChanged'`);
    for (const row of rows) expect([row.what, new Date(row.at).getTime() < earliest.getTime()]).toEqual([row.what, true]);
  });

  it('has the 6 programmes and 88 indicators of the report, under their codes, in its order', async () => {
    const { data } = await server.gql(CatalogueDocument, {}, token);
    expect(data!.programmes.map((p) => [p.code, p.name, p.lead.name, p.year]))
      .toEqual(seed.programmes.map((p) => [p.code, p.name, p.lead, 2019]));
    const indicators = data!.programmes.flatMap((p) => p.indicators);
    expect(indicators).toHaveLength(88);
    expect(indicators.map((i) => [i.code, i.name, i.kind, i.unit ?? undefined]))
      .toEqual(all.map((i) => [i.code, i.name, i.kind, i.unit]));
  });

  it('reports each indicator at the level the issue gives', async () => {
    const { data } = await server.gql(CatalogueDocument, {}, token);
    const level = new Map(data!.programmes.flatMap((p) => p.indicators).map((i) => [i.code, i.reportingLevel]));
    expect(level.get('P3-01')).toBe('COUNTY');
    expect(level.get('P3-05')).toBe('TOWNSHIP');
    expect(level.get('P1-08')).toBe('TOWNSHIP');
    for (const code of ['P5-08', 'P5-14', 'P4-01', 'P4-09']) expect(level.get(code)).toBe('CITY');
    expect(level.get('P5-01')).toBe('COUNTY'); // 乐清市's own figure
  });

  it.each(all.filter((i) => i.actual).map((i) => [i.code, i] as const))('holds the first-half figure of %s', async (code, ind) => {
    const region = ind.regions?.length && !ind.regions.includes(seed.city.name) ? undefined : seed.city.code;
    const where = region ?? (await regionByName(ind.regions![0]));
    const { data, errors } = await server.gql(ProgressDocument, { indicator: code, region: where, asOf: ind.actual!.as_of }, token);
    expect(errors).toBeUndefined();
    const { actual } = data!.indicator.progress;
    if (ind.kind === 'PERCENT') {
      // A ratio of sums over the counties: the city's share, to the report's precision.
      expect(actual).toBeCloseTo(ind.actual!.value, 0);
    } else {
      expect(actual).toBeCloseTo(ind.actual!.value, 6);
    }
    // The day before, nothing had been reported.
    const before = await server.gql(ProgressDocument, { indicator: code, region: where, asOf: dayBefore(ind.actual!.as_of) }, token);
    expect(before.data!.indicator.progress.actual).toBeNull();
  });

  it.each(all.filter((i) => i.target && i.scope !== 'EACH_COUNTY' && i.target.scope !== 'EACH_COUNTY' && !i.regions?.length)
    .map((i) => [i.code, i] as const))('holds the city target of %s', async (code, ind) => {
    const { data } = await server.gql(IndicatorTargetsDocument, { code, region: seed.city.code }, token);
    const t = ind.target!;
    const expected = expect.objectContaining({
      value: ind.kind === 'MILESTONE' ? 1 : t.value ?? null, min: t.min ?? null, max: t.max ?? null,
      comparator: ind.kind === 'MILESTONE' ? 'GTE' : t.comparator ?? 'GTE',
      deadline: t.deadline ?? (t.derived ? seed.period.h1_as_of : null), synthetic: false, version: 1,
    });
    expect(data!.indicator.targets).toContainEqual(expected);
    if (ind.annual_target) {
      expect(data!.indicator.targets).toContainEqual(expect.objectContaining({ value: ind.annual_target.value, deadline: ind.annual_target.deadline }));
    }
  });

  it('gives every county its own target where every county must meet it', async () => {
    const { data } = await server.gql(TargetsDocument, { filter: { indicator: 'P1-06' }, first: 100 }, token);
    expect(data!.targets.totalCount).toBe(12);
    expect(data!.targets.nodes.every((t) => t.region.level === 'COUNTY' && t.value === 10 && !t.synthetic)).toBe(true);
  });

  it('allocates city figures and targets over the counties, synthetic, adding up exactly', async () => {
    const targets = await server.gql(TargetsDocument, { filter: { indicator: 'P3-01', synthetic: true }, first: 100 }, token);
    expect(targets.data!.targets.totalCount).toBe(12);
    expect(targets.data!.targets.nodes.reduce((a, t) => a + t.value!, 0)).toBe(70);
    for (const code of ['P3-01', 'P3-11', 'P5-06']) {
      const figures = await server.gql(SubmissionsDocument, { filter: { indicator: code }, first: 100 }, token);
      const nodes = figures.data!.submissions.nodes;
      expect(nodes).toHaveLength(12);
      expect(nodes.every((s) => s.synthetic && s.region.code.length === 6 && s.status === 'APPROVED')).toBe(true);
      const sum = nodes.reduce((a, s) => a + Math.round(s.value * 100), 0) / 100;
      expect(sum).toBe(all.find((i) => i.code === code)!.actual!.value);
    }
    const meals = await server.gql(SubmissionsDocument, { filter: { indicator: 'P3-05' }, first: 500 }, token);
    expect(meals.data!.submissions.totalCount).toBe(191);
    expect(meals.data!.submissions.nodes.reduce((a, s) => a + s.value, 0)).toBe(827);
  });
});

describe('the report, read as the report reads it (contract: board.graphql)', () => {
  const completions: [string, string, number][] = [
    ['P3', 'P3-01', 0.357], ['P3', 'P3-03', 0.636], ['P2', 'P2-07', 1.46], ['P2', 'P2-08', 1.29], ['P2', 'P2-09', 1.33],
  ];
  it.each(completions)('%s %s reads completion %s as of 2019-06-30', async (programme, code, completion) => {
    const { data, errors } = await server.gql(BoardDocument, { programme, region: '330300', asOf: '2019-06-30' }, token);
    expect(errors).toBeUndefined();
    const progress = data!.programme.indicators.find((i) => i.code === code)!.progress;
    expect(progress.completion).toBeCloseTo(completion, 2);
    expect(progress.region).toEqual({ code: '330300', name: '温州市' });
  });

  it('shows P3-01 (25 of 70 by October 31) BEHIND at mid-year, with its 12 counties', async () => {
    const { data } = await server.gql(BoardDocument, { programme: 'P3', region: '330300' }, token);
    const p = data!.programme.indicators.find((i) => i.code === 'P3-01')!.progress;
    expect(p).toMatchObject({ actual: 25, status: 'BEHIND', reportedCount: 12, expectedCount: 12, target: { value: 70, deadline: '2019-10-31', comparator: 'GTE' } });
    expect(p.expectedByNow!).toBeGreaterThan(25);
    expect(p.children).toHaveLength(12);
    expect(p.children.reduce((a, c) => a + c.actual!, 0)).toBe(25);
    expect(p.children.reduce((a, c) => a + c.target!.value!, 0)).toBe(70);
  });
});

async function regionByName(name: string): Promise<string> {
  const rows = await server.orm.em.fork().getConnection().execute('select code from region where name = ?', [name]);
  return rows[0].code as string;
}

function dayBefore(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}
