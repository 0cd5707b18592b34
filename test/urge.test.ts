import { liveClients } from './helpers/live';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';

/** Urges (催办), instructions (批示) and who is late: live, through the API. */
let server: TestServer;
const live = liveClients(() => server);
beforeAll(async () => { server = await startTestServer(); });
afterEach(() => live.disposeAll());
afterAll(() => server.close());

const URGE = 'mutation($input: UrgeInput!) { urge(input: $input) { id dueOn message overdue resolvedAt createdBy { username } region { code } } }';
const NOTES = 'subscription { notifications { kind message urge { id region { code } } } }';
const BOARD = `subscription($p: String!, $r: String!) { boardEvents(programme: $p, region: $r) { __typename cursor
  ... on UrgeChanged { urge { id resolvedAt resolvedBy { id } } }
  ... on CommentAdded { comment { kind text author { username } } }
  ... on ProgrammeChanged { programme { code countedStatuses } } } }`;
const OPEN = 'query($p: String!, $r: String!) { urges(programme: $p, region: $r) { id indicator { code } region { code } } }';

describe('urge (催办)', () => {
  it('notifies the region\'s reporters live, shows on the board until a figure comes, then resolves', async () => {
    const leader = await server.token('leader');
    const wuma = live.watch(await server.token('wuma'), NOTES);
    const lucheng = live.watch(await server.token('lucheng'), NOTES);
    const board = live.watch(await server.token('screen'), BOARD, { p: 'P3', r: '330302' });
    await until(() => server.services.events.listenerCount === 3);

    const { urge } = await server.ok(URGE, { input: { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05', message: '请尽快报送助餐点数' } }, leader);
    expect(urge).toMatchObject({ dueOn: '2019-07-05', overdue: false, resolvedAt: null, createdBy: { username: 'leader' }, region: { code: '330302006' } });
    await until(() => wuma.length === 1 && lucheng.length === 1 && board.length === 1, 'the urge to arrive');
    for (const got of [wuma, lucheng]) {
      expect(got[0].notifications).toMatchObject({ kind: 'URGED', urge: { id: urge.id, region: { code: '330302006' } } });
      expect(got[0].notifications.message).toMatch(/催办：P3-05 .*五马街道.*2019-07-05.*请尽快报送助餐点数/);
    }
    expect(board[0].boardEvents).toMatchObject({ __typename: 'UrgeChanged', urge: { id: urge.id, resolvedAt: null } });
    const screen = await server.token('screen');
    expect((await server.ok(OPEN, { p: 'P3', r: '330300' }, screen)).urges).toContainEqual({ id: urge.id, indicator: { code: 'P3-05' }, region: { code: '330302006' } });

    const figure = await server.ok('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }',
      { input: { indicator: 'P3-05', region: '330302006', value: 9, asOf: '2019-06-30' } }, await server.token('wuma'));
    await until(() => board.some((e) => e.boardEvents.__typename === 'UrgeChanged' && e.boardEvents.urge.resolvedAt), 'the urge to resolve');
    expect(board.find((e) => e.boardEvents.urge?.resolvedAt).boardEvents.urge.resolvedBy).toEqual({ id: figure.submitFigure.submission.id });
    expect((await server.ok(OPEN, { p: 'P3', r: '330300' }, screen)).urges.map((u: { id: string }) => u.id)).not.toContain(urge.id);

    const trail = await server.ok('query($id: String!) { auditEntries(filter: { entityType: "Urge", entityId: $id }) { nodes { action actor { username } } } }', { id: urge.id }, leader);
    expect(trail.auditEntries.nodes).toEqual([{ action: 'RESOLVE_URGE', actor: null }, { action: 'URGE', actor: { username: 'leader' } }]);
  });

  it.each([
    ['a due day in the past', { indicator: 'P3-05', region: '330302006', dueOn: '2019-06-01' }, 'leader', 'BAD_USER_INPUT'],
    ['an unknown indicator', { indicator: 'P9-99', region: '330302006', dueOn: '2019-07-05' }, 'leader', 'NOT_FOUND'],
    ['an unknown region', { indicator: 'P3-05', region: '339999', dueOn: '2019-07-05' }, 'leader', 'NOT_FOUND'],
    ['a message of 501 characters', { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05', message: '催'.repeat(501) }, 'leader', 'BAD_USER_INPUT'],
    ['an urge by a reporter', { indicator: 'P3-05', region: '330302006', dueOn: '2019-07-05' }, 'lucheng', 'FORBIDDEN'],
    ['an urge by another programme\'s department', { indicator: 'P1-03', region: '330302', dueOn: '2019-07-05' }, 'yanglao', 'FORBIDDEN'],
  ])('refuses %s, writing nothing', async (_what, input, who, code) => {
    const before = await Promise.all(['urge', 'audit_entry'].map((t) => server.count(t)));
    expect((await server.call(URGE, { input }, await server.token(who))).code).toBe(code);
    expect(await Promise.all(['urge', 'audit_entry'].map((t) => server.count(t)))).toEqual(before);
  });
});

describe('instructions (批示)', () => {
  it('a leader\'s comment is an instruction, and the board shows it as one', async () => {
    const board = live.watch(await server.token('screen'), BOARD, { p: 'P3', r: '330300' });
    await until(() => server.services.events.listenerCount === 1);
    const res = await server.ok('mutation($input: AddCommentInput!) { addComment(input: $input) { kind } }',
      { input: { indicator: 'P3-01', region: '330302', text: '进度偏慢，请加快推进' } }, await server.token('leader'));
    expect(res.addComment.kind).toBe('INSTRUCTION');
    await until(() => board.length === 1);
    expect(board[0].boardEvents.comment).toEqual({ kind: 'INSTRUCTION', text: '进度偏慢，请加快推进', author: { username: 'leader' } });
  });
});

describe('who is late', () => {
  const LATE = 'query($p: String!, $r: String!, $i: String) { lateReports(programme: $p, region: $r, indicator: $i) { indicator { code } region { code } lastAsOf cycleStart } }';

  it('lists the regions with no figure since the cycle began; a figure takes one off', async () => {
    server.setToday('2019-07-15');
    try {
      const screen = await server.token('screen');
      const late = (await server.ok(LATE, { p: 'P3', r: '330302', i: 'P3-05' }, screen)).lateReports;
      const townships = (await server.ok('{ region(code: "330302") { children(first: 100) { nodes { code } } } }', {}, screen)).region.children.nodes.map((n: { code: string }) => n.code);
      expect(late.map((l: any) => l.region.code).sort()).toEqual([...townships].sort());
      expect(late.every((l: any) => l.cycleStart === '2019-07-01' && l.indicator.code === 'P3-05')).toBe(true);

      await server.ok('mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }',
        { input: { indicator: 'P3-05', region: townships[0], value: 12, asOf: '2019-07-10' } }, await server.token('lucheng'));
      const after = (await server.ok(LATE, { p: 'P3', r: '330302', i: 'P3-05' }, screen)).lateReports;
      expect(after.map((l: any) => l.region.code)).toEqual(late.map((l: any) => l.region.code).filter((c: string) => c !== townships[0]));

      // County-level indicators of the programme are listed by county.
      const all = (await server.ok(LATE, { p: 'P3', r: '330300' }, screen)).lateReports;
      expect(all.some((l: any) => l.indicator.code === 'P3-01' && l.region.code === '330302')).toBe(true);
      expect((await server.call(LATE, { p: 'P3', r: '330303' }, await server.token('lucheng'))).code).toBe('FORBIDDEN');
      expect((await server.call(LATE, { p: 'P8', r: '330300' }, screen)).code).toBe('NOT_FOUND');
    } finally {
      server.setToday('2019-06-30');
    }
  });
});
