import { liveClients } from './helpers/live';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/** What a programme's department changes: which review statuses count, and its indicators (with versions). */
let server: TestServer;
const live = liveClients(() => server);
beforeAll(async () => { server = await startTestServer(); });
afterEach(() => live.disposeAll());
afterAll(() => server.close());

const BOARD = `subscription($p: String!, $r: String!) { boardEvents(programme: $p, region: $r) { __typename cursor
  ... on ProgrammeChanged { programme { code countedStatuses } } } }`;

describe('which review statuses count is the programme\'s setting', () => {
  const ACTUAL = 'query { indicator(code: "P3-01") { progress(region: "330302") { actual } } }';
  const SET = 'mutation($s: [SubmissionStatus!]!) { setCountedStatuses(programme: "P3", countedStatuses: $s) { countedStatuses } }';

  it('with APPROVED only, a figure counts once approved; boards are told to read again', async () => {
    const yanglao = await server.token('yanglao');
    const lucheng = await server.token('lucheng');
    const board = live.watch(await server.token('screen'), BOARD, { p: 'P3', r: '330300' });
    await until(() => server.services.events.listenerCount === 1);
    expect((await server.ok(SET, { s: ['APPROVED'] }, yanglao)).setCountedStatuses.countedStatuses).toEqual(['APPROVED']);
    // The setting first; the projector's ProgressChanged events for what it moved come after it.
    await until(() => board.length >= 1);
    expect(board[0].boardEvents).toMatchObject({ __typename: 'ProgrammeChanged', programme: { code: 'P3', countedStatuses: ['APPROVED'] } });

    const before = (await server.ok(ACTUAL, {}, yanglao)).indicator.progress.actual;
    const sent = await server.ok('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }',
      { input: { indicator: 'P3-01', region: '330302', value: 77, asOf: '2019-06-30' } }, lucheng);
    expect((await server.ok(ACTUAL, {}, yanglao)).indicator.progress.actual).toBe(before);
    await server.ok('mutation($input: ReviewSubmissionInput!) { reviewSubmission(input: $input) { id } }',
      { input: { submission: sent.submitFigure.submission.id, decision: 'APPROVED' } }, yanglao);
    expect((await server.ok(ACTUAL, {}, yanglao)).indicator.progress.actual).toBe(77);
    await server.ok(SET, { s: ['SUBMITTED', 'APPROVED'] }, yanglao);
  });

  it.each([
    [['SUBMITTED'], 'BAD_USER_INPUT'],
    [['APPROVED', 'RETURNED'], 'BAD_USER_INPUT'],
    [[], 'BAD_USER_INPUT'],
  ])('refuses %j, writing nothing', async (statuses, code) => {
    // What the earlier writes bring after their commit (the notices judged from them, audited) first.
    await server.projected();
    const before = await server.count('audit_entry');
    expect((await server.call(SET, { s: statuses }, await server.token('yanglao'))).code).toBe(code);
    expect(await server.count('audit_entry')).toBe(before);
  });
});

describe('indicators carry a version', () => {
  const READ = 'query { indicator(code: "P3-03") { version name } }';
  const UPDATE = 'mutation($input: UpdateIndicatorInput!) { updateIndicator(input: $input) { version name reportingCycle } }';

  it('a stale version gets CONFLICT and writes nothing; the current one changes it', async () => {
    const yanglao = await server.token('yanglao');
    const { version, name } = (await server.ok(READ, {}, yanglao)).indicator;
    const changed = await server.ok(UPDATE, { input: { code: 'P3-03', expectedVersion: version, reportingCycle: 'QUARTERLY' } }, yanglao);
    expect(changed.updateIndicator).toEqual({ version: version + 1, name, reportingCycle: 'QUARTERLY' });
    const before = await server.count('audit_entry');
    const stale = await server.call(UPDATE, { input: { code: 'P3-03', expectedVersion: version, name: '旧的' } }, yanglao);
    expect(stale.code).toBe('CONFLICT');
    expect((await server.ok(READ, {}, yanglao)).indicator).toEqual({ version: version + 1, name });
    expect(await server.count('audit_entry')).toBe(before);
  });

  it.each([
    ['an unknown indicator', { code: 'P3-99', expectedVersion: 1 }, 'NOT_FOUND'],
    ['a name of 201 characters', { code: 'P3-03', expectedVersion: 1, name: '名'.repeat(201) }, 'BAD_USER_INPUT'],
    ['5 decimals', { code: 'P3-03', expectedVersion: 1, decimals: 5 }, 'BAD_USER_INPUT'],
  ])('refuses %s', async (_what, input, code) => {
    expect((await server.call(UPDATE, { input }, await server.token('yanglao'))).code).toBe(code);
  });

  it('a new indicator joins its programme\'s board, last, and is audited', async () => {
    const yanglao = await server.token('yanglao');
    const made = await server.ok('mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { code version reportingLevel reportingCycle programme { code } } }',
      { input: { programme: 'P3', code: 'P3-90', name: '家庭养老床位', kind: 'COUNT', unit: '张', reportingLevel: 'TOWNSHIP', reportingCycle: 'QUARTERLY' } }, yanglao);
    expect(made.createIndicator).toEqual({ code: 'P3-90', version: 1, reportingLevel: 'TOWNSHIP', reportingCycle: 'QUARTERLY', programme: { code: 'P3' } });
    const board = await server.ok('{ programme(code: "P3") { indicators { code } } }', {}, yanglao);
    expect(board.programme.indicators.at(-1)).toEqual({ code: 'P3-90' });
    const trail = await server.ok('{ auditEntries(filter: { indicator: "P3-90" }) { nodes { action actor { username } } } }', {}, yanglao);
    expect(trail.auditEntries.nodes).toEqual([{ action: 'CREATE_INDICATOR', actor: { username: 'yanglao' } }]);
  });

  it.each([
    ['a code with spaces', { programme: 'P3', code: 'P3 91', name: 'x', kind: 'COUNT' }, 'BAD_USER_INPUT'],
    ['an unknown programme', { programme: 'P9', code: 'P9-01', name: 'x', kind: 'COUNT' }, 'NOT_FOUND'],
    ['a milestone with decimals', { programme: 'P3', code: 'P3-92', name: 'x', kind: 'MILESTONE', decimals: 2 }, 'BAD_USER_INPUT'],
    ['an empty name', { programme: 'P3', code: 'P3-93', name: '', kind: 'COUNT' }, 'BAD_USER_INPUT'],
  ])('refuses a new indicator with %s, writing nothing', async (_what, input, code) => {
    const before = await Promise.all(['indicator', 'audit_entry'].map((t) => server.count(t)));
    expect((await server.call('mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id } }', { input }, await server.token('yanglao'))).code).toBe(code);
    expect(await Promise.all(['indicator', 'audit_entry'].map((t) => server.count(t)))).toEqual(before);
  });

  it('a new indicator\'s code must be free', async () => {
    const res = await server.call('mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id } }',
      { input: { programme: 'P3', code: 'P3-01', name: '重复', kind: 'COUNT' } }, await server.token('yanglao'));
    expect(res.code).toBe('CONFLICT');
  });
});
