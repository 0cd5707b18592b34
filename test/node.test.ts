import { BoardIdsDocument, ReviewDocument, SubmitDocument, type BoardIdsQuery } from './generated/graphql';
import { liveClients } from './helpers/live';
import { codes, startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { readFileSync } from 'node:fs';

// Object identity (Relay's global object identification): every cacheable object has an id that is
// the same wherever it appears, and node(id:) reads it again. The contract's next/ operations.
let server: TestServer;
const live = liveClients(() => server);
beforeAll(async () => { server = await startTestServer(); });
afterEach(() => live.disposeAll());
afterAll(() => server.close());

const EVENTS_IDS = readFileSync(`${__dirname}/contract/next/board-events-ids.graphql`, 'utf8');
const NODE = `query Node($id: ID!) { node(id: $id) { __typename id
  ... on Progress { actual status region { code } indicator { code } asOf }
  ... on Region { code } ... on Programme { code } ... on Indicator { code } ... on Target { value }
  ... on Submission { figure: value } } }`;

async function board(token: string, region = '330300'): Promise<NonNullable<BoardIdsQuery['programme']>> {
  const { data, errors } = await server.gql(BoardIdsDocument, { programme: 'P3', region }, token);
  expect(errors).toBeUndefined();
  return data!.programme;
}

describe('ids (contract next: board-ids.graphql)', () => {
  it('gives every object of the board an id, the same wherever the object appears', async () => {
    const token = await server.token('screen');
    const p3 = await board(token);
    const p301 = p3.indicators.find((i) => i.code === 'P3-01')!;
    const lucheng = p301.progress.children.find((c) => c.region.code === '330302')!;
    // The child's progress is the progress the county's own board holds.
    const county = (await board(token, '330302')).indicators.find((i) => i.code === 'P3-01')!;
    expect(county.progress.id).toBe(lucheng.id);
    expect(county.progress.region.id).toBe(lucheng.region.id);
    expect(county.id).toBe(p301.id);
    // Ids differ across types and objects, even where the keys behind them are equal (Programme 1, Indicator 1).
    const ids = [p3.id, p301.progress.region.id, ...p301.progress.children.map((c) => c.region.id),
      ...p3.indicators.flatMap((i) => [i.id, i.progress.id, ...i.progress.children.map((c) => c.id)])];
    expect(new Set(ids).size).toBe(ids.length);
    // Another day is another progress.
    const past = await server.gql(BoardIdsDocument, { programme: 'P3', region: '330300', asOf: '2019-03-31' }, token);
    expect(past.data!.programme.indicators[0].progress.id).not.toBe(p3.indicators[0].progress.id);
    // Today asked for by its date is today.
    const today = await server.gql(BoardIdsDocument, { programme: 'P3', region: '330300', asOf: '2019-06-30' }, token);
    expect(today.data!.programme.indicators[0].progress.id).toBe(p3.indicators[0].progress.id);
  });

  it('reads each object again by node(id:), as its own query would', async () => {
    const token = await server.token('screen');
    const p301 = (await board(token)).indicators.find((i) => i.code === 'P3-01')!;
    const progress = (await server.ok(NODE, { id: p301.progress.id }, token)).node;
    expect(progress).toMatchObject({ __typename: 'Progress', id: p301.progress.id, actual: p301.progress.actual, status: p301.progress.status, region: { code: '330300' }, indicator: { code: 'P3-01' } });
    expect((await server.ok(NODE, { id: p301.progress.region.id }, token)).node).toEqual({ __typename: 'Region', id: p301.progress.region.id, code: '330300' });
    expect((await server.ok(NODE, { id: p301.id }, token)).node).toMatchObject({ __typename: 'Indicator', code: 'P3-01' });
    expect((await server.ok(NODE, { id: p301.progress.target!.id }, token)).node).toMatchObject({ __typename: 'Target', value: p301.progress.target!.value });
  });

  it('answers null for an id of nothing, BAD_USER_INPUT for what is no id, FORBIDDEN outside the caller\'s scope', async () => {
    const admin = await server.token('admin');
    const wuma = await server.token('wuma');
    const p301 = (await board(admin)).indicators.find((i) => i.code === 'P3-01')!;
    const gone = Buffer.from('Submission:999999999').toString('base64');
    expect((await server.ok(NODE, { id: gone }, admin)).node).toBeNull();
    const bad = await server.call(NODE, { id: 'not an id' }, admin);
    expect([bad.code, bad.errors![0].extensions!.field]).toEqual(['BAD_USER_INPUT', 'id']);
    // 五马街道's reporter reads its own subtree only: the city's progress is not for it.
    expect((await server.call(NODE, { id: p301.progress.id }, wuma)).code).toBe('FORBIDDEN');
  });

  it('takes a submission\'s id where an input names one, and its key as before', async () => {
    const lucheng = await server.token('lucheng');
    const yanglao = await server.token('yanglao');
    const submit = (key: string) => server.gql(SubmitDocument, { input: { indicator: 'P3-01', region: '330302', value: 3, asOf: '2019-06-30', idempotencyKey: key } }, lucheng);
    const first = (await submit('ids-1')).data!.submitFigure.submission;
    const reviewed = await server.gql(ReviewDocument, { input: { submission: first.id, decision: 'APPROVED' } }, yanglao);
    expect(reviewed.errors).toBeUndefined();
    expect(reviewed.data!.reviewSubmission).toMatchObject({ id: first.id, status: 'APPROVED' });
    const second = (await submit('ids-2')).data!.submitFigure.submission;
    const key = Buffer.from(second.id, 'base64').toString().split(':')[1];
    expect((await server.gql(ReviewDocument, { input: { submission: key, decision: 'APPROVED' } }, yanglao)).data!.reviewSubmission.id).toBe(second.id);
    // The id of something else is no submission.
    const region = (await board(yanglao)).indicators[0].progress.region.id;
    expect(codes(await server.gql(ReviewDocument, { input: { submission: region, decision: 'APPROVED' } }, yanglao))).toEqual(['NOT_FOUND']);
  });
});

describe('board events with ids (contract next: board-events-ids.graphql)', () => {
  it('gives a ProgressChanged\'s progress the id of the progress the board holds', async () => {
    const screen = await server.token('screen');
    const before = (await board(screen)).indicators.find((i) => i.code === 'P3-02')!;
    const events = live.watch(screen, EVENTS_IDS, { programme: 'P3', region: '330300' });
    await until(async () => (await server.ok('query { boardWatchers(programme: "P3", region: "330300") { username } }', {}, screen)).boardWatchers.length > 0, 'the subscriber');
    const submitted = await server.gql(SubmitDocument, { input: { indicator: 'P3-02', region: '330302', value: 7, asOf: '2019-06-30', idempotencyKey: 'ids-event' } }, await server.token('lucheng'));
    expect(submitted.errors).toBeUndefined();
    await until(() => events.length >= 2, 'the city\'s and the county\'s events');
    const byRegion = new Map(events.map((e) => [e.boardEvents.region.code, e.boardEvents]));
    const lucheng = before.progress.children.find((c) => c.region.code === '330302')!;
    expect(byRegion.get('330300')).toMatchObject({ indicator: { id: before.id }, region: { id: before.progress.region.id }, progress: { id: before.progress.id } });
    expect(byRegion.get('330302')).toMatchObject({ region: { id: lucheng.region.id }, progress: { id: lucheng.id } });
    // The event's figures are the ones the board now reads under that id.
    const after = (await board(screen)).indicators.find((i) => i.code === 'P3-02')!;
    expect(byRegion.get('330300')!.progress.actual).toBe(after.progress.actual);
  });
});
