import { startTestServer, type TestServer } from './helpers/test-server';

/** League tables (晾晒): the children of a region ranked, ties alike, non-reporters shown and not ranked. */
let server: TestServer;
let admin: string;
let yanglao: string;

const RANKING = `query($p: String!, $r: String!, $by: RankingBasis!, $asOf: Date, $since: Date, $i: String) {
  ranking(programme: $p, region: $r, by: $by, asOf: $asOf, since: $since, indicator: $i) {
    by asOf since rows { region { code } reported value rank valueSince rankSince change indicatorsReported indicatorsJudged }
  } }`;
const SUBMIT = `mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }`;
const WEIGHTS = `mutation($p: String!, $w: [ScoreWeightInput!]!) { setScoreWeights(programme: $p, weights: $w) { code scoreWeights { indicator { code } weight } } }`;

type Row = { region: { code: string }; reported: boolean; value: number | null; rank: number | null; rankSince: number | null; change: number | null; valueSince: number | null };

async function ranking(variables: Record<string, unknown>, token = admin): Promise<Row[]> {
  return (await server.ok(RANKING, variables, token)).ranking.rows;
}

beforeAll(async () => {
  server = await startTestServer({ env: { DUBAN_EVENT_POLL_MS: '60000' } });
  admin = await server.token('admin');
  yanglao = await server.token('yanglao');
});
afterAll(() => server.close());

describe('ranking', () => {
  it('ranks the counties of the demo by completion from the report\'s figures: every county, ranks by value', async () => {
    const rows = await ranking({ p: 'P3', r: '330300', by: 'COMPLETION' });
    expect(rows).toHaveLength(12);
    const ranked = rows.filter((r) => r.rank !== null);
    expect(ranked.length).toBeGreaterThan(0);
    for (const [i, row] of ranked.entries()) {
      expect(row.reported).toBe(true);
      // A rank is one more than the number of regions strictly ahead.
      expect(row.rank).toBe(1 + ranked.filter((o) => o.value! > row.value! + 1e-6).length);
      if (i > 0) expect(row.value!).toBeLessThanOrEqual(ranked[i - 1].value! + 1e-9);
    }
  });

  it('ties rank alike, and regions that have not reported are shown, not ranked', async () => {
    // P3-20 (a milestone of five pilot counties) has no figure in the demo: nobody is ranked.
    const before = await ranking({ p: 'P3', r: '330300', by: 'COMPLETION', i: 'P3-20' });
    expect(before.every((r) => r.rank === null && !r.reported && r.value === null)).toBe(true);
    for (const [region, value] of [['330302', 1], ['330304', 1], ['330381', 0]] as const) {
      await server.ok(SUBMIT, { input: { indicator: 'P3-20', region, value, asOf: '2019-06-30' } }, admin);
    }
    const rows = await ranking({ p: 'P3', r: '330300', by: 'COMPLETION', i: 'P3-20' });
    const at = (code: string) => rows.find((r) => r.region.code === code)!;
    expect(at('330302')).toMatchObject({ rank: 1, value: 1, reported: true });
    expect(at('330304')).toMatchObject({ rank: 1, value: 1 });
    expect(at('330381')).toMatchObject({ rank: 3, value: 0 });
    // 330303 has no target for P3-20, 330324 (永嘉县) a target and no figure: neither is ranked.
    expect(at('330303')).toMatchObject({ rank: null, reported: false });
    expect(at('330324')).toMatchObject({ rank: null, reported: false });
    expect(rows.slice(0, 3).map((r) => r.rank)).toEqual([1, 1, 3]);
    expect(rows.slice(3).every((r) => r.rank === null)).toBe(true);
  });

  it('gives the rank at since and the change', async () => {
    server.setToday('2019-07-10');
    try {
      await server.ok(SUBMIT, { input: { indicator: 'P3-20', region: '330381', value: 1, asOf: '2019-07-10' } }, admin);
      await server.ok(SUBMIT, { input: { indicator: 'P3-20', region: '330302', value: 0, asOf: '2019-07-10' } }, admin);
      const rows = await ranking({ p: 'P3', r: '330300', by: 'COMPLETION', i: 'P3-20', since: '2019-06-30' });
      const at = (code: string) => rows.find((r) => r.region.code === code)!;
      expect(at('330381')).toMatchObject({ rank: 1, rankSince: 3, change: 2 });
      expect(at('330302')).toMatchObject({ rank: 3, rankSince: 1, change: -2 });
      expect(at('330304')).toMatchObject({ rank: 1, rankSince: 1, change: 0 });
      expect(at('330303')).toMatchObject({ rank: null, rankSince: null, change: null });
      const bad = await server.call(RANKING, { p: 'P3', r: '330300', by: 'PACE', since: '2019-07-10' }, admin);
      expect(bad.code).toBe('BAD_USER_INPUT');
      expect(bad.errors![0].extensions!.field).toBe('since');
    } finally {
      server.setToday('2019-06-30');
    }
  });

  it('ranks by pace and by a weighted score that the leading department sets', async () => {
    const pace = await ranking({ p: 'P3', r: '330300', by: 'PACE' });
    expect(pace.filter((r) => r.rank !== null).length).toBeGreaterThan(0);
    const equal = await ranking({ p: 'P3', r: '330300', by: 'SCORE' });
    expect(equal.every((r) => r.value === null || (r.value >= 0 && r.value <= 100))).toBe(true);
    const set = await server.ok(WEIGHTS, { p: 'P3', w: [{ indicator: 'P3-01', weight: 3 }, { indicator: 'P3-03', weight: 1 }] }, yanglao);
    expect(set.setScoreWeights.scoreWeights).toEqual([{ indicator: { code: 'P3-01' }, weight: 3 }, { indicator: { code: 'P3-03' }, weight: 1 }]);
    const one = await ranking({ p: 'P3', r: '330300', by: 'COMPLETION', i: 'P3-01' });
    const three = await ranking({ p: 'P3', r: '330300', by: 'COMPLETION', i: 'P3-03' });
    const weighted = await ranking({ p: 'P3', r: '330300', by: 'SCORE' });
    for (const row of weighted.filter((r) => r.value !== null)) {
      const c1 = one.find((r) => r.region.code === row.region.code)!.value ?? 0;
      const c3 = three.find((r) => r.region.code === row.region.code)!.value ?? 0;
      expect(row.value!).toBeCloseTo((100 * (3 * c1 + c3)) / 4, 6);
    }
    const entries = await server.ok(`{ auditEntries(filter: { entityType: "Programme" }, first: 5) { nodes { action } } }`, {}, admin);
    expect(entries.auditEntries.nodes.map((n: { action: string }) => n.action)).toContain('SET_SCORE_WEIGHTS');
  });

  it('costs the same number of SQL statements with ten more counties', async () => {
    const token = await server.token('screen');
    // The notices judged after the earlier writes are written in the background: let them finish.
    await server.projected();
    const count = () => server.countStatements(() => ranking({ p: 'P3', r: '330300', by: 'SCORE', since: '2019-06-15' }, token));
    const before = await count();
    await server.orm.em.fork().getConnection().execute(`
      insert into region (code, name, level, parent_code, path)
      select '3303R' || i, '县' || i, 'COUNTY', '330300', '/330000/330300/3303R' || i || '/' from generate_series(1, 10) as i`);
    const rows = await ranking({ p: 'P3', r: '330300', by: 'SCORE' });
    expect(rows).toHaveLength(22);
    expect(rows.filter((r) => r.region.code.startsWith('3303R')).every((r) => r.rank === null)).toBe(true);
    expect(await count()).toBe(before);
    expect(before).toBeLessThanOrEqual(20);
  });
});

describe('setScoreWeights: bad input writes nothing', () => {
  const w = (indicator: string, weight: number) => ({ indicator, weight });
  it.each([
    ['an unknown programme', 'P9', [w('P3-01', 1)], 'NOT_FOUND', undefined],
    ['no weights', 'P3', [], 'BAD_USER_INPUT', 'weights'],
    ['an indicator of another programme', 'P3', [w('P1-03', 1)], 'BAD_USER_INPUT', 'weights.0.indicator'],
    ['an unknown indicator', 'P3', [w('P3-01', 1), w('P3-99', 1)], 'BAD_USER_INPUT', 'weights.1.indicator'],
    ['an indicator twice', 'P3', [w('P3-01', 1), w('P3-01', 2)], 'BAD_USER_INPUT', 'weights.1.indicator'],
    ['a negative weight', 'P3', [w('P3-01', -1)], 'BAD_USER_INPUT', 'weights.0.weight'],
    ['a weight over 1000', 'P3', [w('P3-01', 1001)], 'BAD_USER_INPUT', 'weights.0.weight'],
    ['only zero weights', 'P3', [w('P3-01', 0)], 'BAD_USER_INPUT', 'weights'],
    ['another department\'s programme', 'P1', [w('P1-03', 1)], 'FORBIDDEN', undefined],
  ])('%s', async (_name, programme, weights, code, field) => {
    const before = await Promise.all(['score_weight', 'audit_entry', 'outbox_event'].map((t) => server.count(t)));
    const res = await server.call(WEIGHTS, { p: programme, w: weights }, yanglao);
    expect(res.code).toBe(code);
    if (field) expect(res.errors![0].extensions!.field).toBe(field);
    expect(await Promise.all(['score_weight', 'audit_entry', 'outbox_event'].map((t) => server.count(t)))).toEqual(before);
  });
});
