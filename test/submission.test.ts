import { ProgressDocument, SubmissionsDocument, SubmitDocument, type SubmissionsQuery, type SubmitMutationVariables } from './generated/graphql';
import { codes, startTestServer, type GraphQLResponse, type TestServer } from './helpers/test-server';

type Input = SubmitMutationVariables['input'];
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const figure = (over: Partial<Input> = {}): Input => ({ indicator: 'P3-01', region: '330302', value: 3, asOf: '2019-06-30', ...over });

async function cityActual(indicator: string, asOf?: string): Promise<number | null> {
  const { data } = await server.gql(ProgressDocument, { indicator, region: '330300', asOf }, await server.token('screen'));
  return data!.indicator.progress.actual;
}

describe('submitFigure (contract: submit.graphql)', () => {
  it('records a figure in the reporter\'s scope and returns it with the region\'s progress', async () => {
    const before = await cityActual('P3-01');
    const { data: prior } = await server.gql(ProgressDocument, { indicator: 'P3-01', region: '330302' }, await server.token('screen'));
    const { data, errors } = await server.gql(SubmitDocument, { input: figure({ value: 4, note: '新开2家' }) }, await server.token('lucheng'));
    expect(errors).toBeUndefined();
    expect(data!.submitFigure.submission).toMatchObject({ value: 4, asOf: '2019-06-30', status: 'SUBMITTED', indicator: { code: 'P3-01' }, region: { code: '330302' } });
    expect(data!.submitFigure.progress.actual).toBe(4);
    expect(typeof data!.submitFigure.progress.status).toBe('string');
    // The city's figure moves by the county's change: the new figure replaces the county's last one.
    expect(await cityActual('P3-01')).toBe(before! - prior!.indicator.progress.actual! + 4);
  });

  it('creates one submission for one idempotency key, and returns it every time', async () => {
    const token = await server.token('lucheng');
    const rows = await server.count('submission');
    const input = figure({ value: 5, idempotencyKey: 'lucheng-2019-06-30-P3-01' });
    const responses = await Promise.all([1, 2, 3, 4].map(() => server.gql(SubmitDocument, { input }, token)));
    const ids = responses.map((r) => { expect(r.errors).toBeUndefined(); return r.data!.submitFigure.submission.id; });
    expect(new Set(ids).size).toBe(1);
    expect(await server.count('submission')).toBe(rows + 1);
    const again = await server.gql(SubmitDocument, { input }, token);
    expect(again.data!.submitFigure.submission.id).toBe(ids[0]);
  });

  it('lets a township reporter enter a township figure, and the department any county of its programme', async () => {
    const wuma = await server.gql(SubmitDocument, { input: figure({ indicator: 'P3-05', region: '330302006', value: 9 }) }, await server.token('wuma'));
    expect(wuma.errors).toBeUndefined();
    const yanglao = await server.gql(SubmitDocument, { input: figure({ region: '330381', value: 6 }) }, await server.token('yanglao'));
    expect(yanglao.errors).toBeUndefined();
    expect(yanglao.data!.submitFigure.submission.region.code).toBe('330381');
  });

  it('keeps the past: a figure entered today leaves an earlier day as it stood', async () => {
    const token = await server.token('admin');
    const before = await cityActual('P3-02', '2019-06-30');
    await server.gql(SubmitDocument, { input: figure({ indicator: 'P3-02', region: '330303', value: 0, asOf: '2019-06-30' }) }, token);
    expect(await cityActual('P3-02', '2019-06-29')).toBeNull();
    expect(await cityActual('P3-02', '2019-06-30')).not.toBe(before);
  });
});

describe('submitFigure refuses bad input with a typed error and writes nothing', () => {
  const big = 'x'.repeat(100 * 1024);
  const rows: [string, string, string, Input | string][] = [
    ['an unknown indicator', 'lucheng', 'NOT_FOUND', figure({ indicator: 'P9-99' })],
    ['an unknown region', 'lucheng', 'NOT_FOUND', figure({ region: '330399' })],
    ['a negative count', 'lucheng', 'BAD_USER_INPUT', figure({ value: -1 })],
    ['a fraction of a count', 'lucheng', 'BAD_USER_INPUT', figure({ value: 2.5 })],
    ['Infinity (1e400 in JSON)', 'lucheng', 'BAD_USER_INPUT', '{"indicator":"P3-01","region":"330302","value":1e400,"asOf":"2019-06-30"}'],
    ['NaN as a string', 'lucheng', 'BAD_USER_INPUT', '{"indicator":"P3-01","region":"330302","value":"NaN","asOf":"2019-06-30"}'],
    ['a percentage above 100', 'lucheng', 'BAD_USER_INPUT', figure({ indicator: 'P1-01', value: 120 })],
    ['a numerator above its denominator', 'lucheng', 'BAD_USER_INPUT', figure({ indicator: 'P1-01', value: 50, numerator: 60, denominator: 50 })],
    ['a value that is not numerator / denominator', 'lucheng', 'BAD_USER_INPUT', figure({ indicator: 'P1-01', value: 50, numerator: 10, denominator: 40 })],
    ['a zero denominator', 'lucheng', 'BAD_USER_INPUT', figure({ indicator: 'P1-01', value: 0, numerator: 0, denominator: 0 })],
    ['a numerator for a count', 'lucheng', 'BAD_USER_INPUT', figure({ numerator: 1, denominator: 2 })],
    ['a date before the programme\'s year', 'lucheng', 'BAD_USER_INPUT', figure({ asOf: '2018-12-31' })],
    ['a date after today', 'lucheng', 'BAD_USER_INPUT', figure({ asOf: '2019-07-01' })],
    ['a date that does not exist', 'lucheng', 'BAD_USER_INPUT', figure({ asOf: '2019-02-30' })],
    ['a note of 100 kB', 'lucheng', 'BAD_USER_INPUT', figure({ note: big })],
    ['an idempotency key of 300 characters', 'lucheng', 'BAD_USER_INPUT', figure({ idempotencyKey: 'k'.repeat(300) })],
    ['a region outside the reporter\'s scope', 'lucheng', 'FORBIDDEN', figure({ region: '330303' })],
    ['a township outside a township reporter\'s scope', 'wuma', 'FORBIDDEN', figure({ indicator: 'P3-05', region: '330302023' })],
    ['a county figure for a township-level indicator', 'lucheng', 'BAD_USER_INPUT', figure({ indicator: 'P3-05', region: '330302' })],
    ['a township figure for a county-level indicator', 'lucheng', 'BAD_USER_INPUT', figure({ region: '330302006' })],
    ['a city-level indicator from a county', 'lucheng', 'BAD_USER_INPUT', figure({ indicator: 'P5-08', region: '330302' })],
    ['a milestone that is neither done nor not done', 'admin', 'BAD_USER_INPUT', figure({ indicator: 'P4-01', region: '330300', value: 0.5 })],
    ['a figure from a viewer', 'screen', 'FORBIDDEN', figure()],
    ['a figure of a programme the department does not lead', 'yanglao', 'FORBIDDEN', figure({ indicator: 'P1-03' })],
    ['a figure without a token', '', 'UNAUTHENTICATED', figure()],
    ['a reused idempotency key with a different value', 'lucheng', 'CONFLICT', figure({ value: 8, idempotencyKey: 'used-once' })],
  ];

  beforeAll(async () => {
    const first = await server.gql(SubmitDocument, { input: figure({ value: 7, idempotencyKey: 'used-once' }) }, await server.token('lucheng'));
    expect(first.errors).toBeUndefined();
  });

  it.each(rows)('%s, as %s: %s', async (_what, username, code, input) => {
    const token = username ? await server.token(username) : undefined;
    const counts = async () => [await server.count('submission'), await server.count('target')];
    const before = await counts();
    const body = typeof input === 'string'
      ? `{"query":${JSON.stringify(SUBMIT_TEXT)},"variables":{"input":${input}}}`
      : JSON.stringify({ query: SUBMIT_TEXT, variables: { input } });
    const { json } = await server.post(body, token);
    expect(codes(json)).toEqual([code]);
    expect(json.errors![0].message).not.toMatch(/insert|select|violates|stack/i);
    expect(await counts()).toEqual(before);
  });
});

describe('submissions', () => {
  it('lists a subtree newest first, filtered, in pages', async () => {
    const token = await server.token('screen');
    const filter = { indicator: 'P3-05', region: '330302', status: 'APPROVED' as const };
    const all = await server.gql(SubmissionsDocument, { filter, first: 500 }, token);
    const total = all.data!.submissions.totalCount;
    expect(total).toBeGreaterThan(5);
    expect(all.data!.submissions.nodes.every((s) => s.region.code.startsWith('330302') && s.indicator.code === 'P3-05')).toBe(true);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: GraphQLResponse<SubmissionsQuery> = await server.gql(SubmissionsDocument, { filter, first: 4, after }, token);
      seen.push(...page.data!.submissions.nodes.map((s) => s.id));
      if (!page.data!.submissions.pageInfo.hasNextPage) break;
      after = page.data!.submissions.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.data!.submissions.nodes.map((s) => s.id));
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
  });

  it('filters by date range and refuses one that runs backwards', async () => {
    const token = await server.token('screen');
    const h1 = await server.gql(SubmissionsDocument, { filter: { programme: 'P4', from: '2019-06-01', to: '2019-06-20' }, first: 500 }, token);
    expect(h1.data!.submissions.nodes.map((s) => s.indicator.code)).toEqual(['P4-06']);
    const backwards = await server.gql(SubmissionsDocument, { filter: { from: '2019-06-30', to: '2019-06-01' } }, token);
    expect(codes(backwards)).toEqual(['BAD_USER_INPUT']);
  });
});

const SUBMIT_TEXT = `mutation Submit($input: SubmitFigureInput!) {
  submitFigure(input: $input) { submission { id } progress { actual } }
}`;
