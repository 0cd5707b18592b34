import { openSocket, type OpenSocket } from './helpers/socket';
import { startTestServer, type TestServer } from './helpers/test-server';

/**
 * The whole role matrix: every mutation × every kind of caller × a target inside and outside the
 * caller's scope, each expected to succeed or to be FORBIDDEN, and a FORBIDDEN one to write nothing.
 * Inside: P3 (led by 养老服务处, yanglao's department) at 330302 鹿城区 (lucheng's region).
 * Outside: P1 (another department's) at 330303 龙湾区 (outside lucheng's region).
 */
let server: TestServer;
const tokens: Record<string, string> = {};
let seq = 0;
const next = () => (seq += 1);
let setTargetCalls = 0;

type Side = 'inside' | 'outside';
const AT: Record<Side, { programme: string; indicator: string; region: string }> = {
  inside: { programme: 'P3', indicator: 'P3-01', region: '330302' },
  outside: { programme: 'P1', indicator: 'P1-03', region: '330303' },
};

async function asAdmin(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { code, data } = await server.call(query, variables, tokens.admin);
  if (code !== 'OK') throw new Error(`admin setup failed: ${code}`);
  return data!;
}

const SUBMIT = `mutation($input: SubmitFigureInput!) { submitFigure(input: $input) { submission { id } } }`;

/** Notices: P3-08 in 鹿城区 (inside), P1-03 in 龙湾区 (outside). */
const NOTICE_AT: Record<Side, { indicator: string; region: string }> = {
  inside: { indicator: 'P3-08', region: '330302' },
  outside: { indicator: 'P1-03', region: '330303' },
};

/**
 * A notice in `state` for the side's indicator × region, whose target (GTE 1, due 2019-12-20)
 * the region's figure meets; any open one there is closed first.
 */
async function noticeIn(side: Side, state: string): Promise<string> {
  const { indicator, region } = NOTICE_AT[side];
  const n = next();
  // The first call makes the target; later ones find it there (a CONFLICT without a version), which is as good.
  await server.call(`mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }`,
    { input: { indicator, region, comparator: 'GTE', value: 1, deadline: '2019-12-20' } }, tokens.admin);
  await asAdmin(SUBMIT, { input: { indicator, region, value: 5000 + n, asOf: '2019-06-30' } });
  await server.projected();
  const conn = server.orm.em.fork().getConnection();
  await conn.execute(`update notice set closed_at = now(), state = 'LIFTED'
    where closed_at is null and region_code = ? and indicator_id = (select id from indicator where code = ?)`, [region, indicator]);
  const [row] = await conn.execute(`
    insert into notice (indicator_id, region_code, target_id, colour, state, reason, deadline, requested_until, issued_on, issued_at, updated_at)
    select i.id, t.region_code, t.id, 'RED', ?::notice_state, '测试', '2019-10-31', '2019-11-30', '2019-06-30', now(), now()
    from indicator i join target t on t.indicator_id = i.id and t.region_code = ? where i.code = ? order by t.id limit 1 returning id`, [state, region, indicator]);
  return String(row.id);
}

/** Each mutation: how to call it on a side, after any setup it needs. */
const MUTATIONS: Record<string, (side: Side) => Promise<[string, Record<string, unknown>]>> = {
  submitFigure: async (side) => [SUBMIT, { input: { indicator: AT[side].indicator, region: AT[side].region, value: 100 + next(), asOf: '2019-06-30' } }],
  submitFigures: async (side) => [`mutation($input: [SubmitFigureInput!]!) { submitFigures(input: $input) { count } }`,
    { input: [{ indicator: AT[side].indicator, region: AT[side].region, value: 100 + next(), asOf: '2019-06-30' }] }],
  reviewSubmission: async (side) => {
    const data = await asAdmin(SUBMIT, { input: { indicator: AT[side].indicator, region: AT[side].region, value: 200 + next(), asOf: '2019-06-30' } });
    const id = (data.submitFigure as { submission: { id: string } }).submission.id;
    return [`mutation($input: ReviewSubmissionInput!) { reviewSubmission(input: $input) { id } }`, { input: { submission: id, decision: 'APPROVED' } }];
  },
  setTarget: async (side) => {
    // A deadline of its own per call: a new target each time, never a stale version (a counter of
    // its own: the shared one passes the 252 deadlines below over both transports).
    const n = (setTargetCalls += 1);
    const deadline = `2019-0${1 + (Math.floor(n / 28) % 9)}-${String(1 + (n % 28)).padStart(2, '0')}`;
    return [`mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }`,
      { input: { indicator: AT[side].indicator, region: AT[side].region, comparator: 'GTE', value: 10, deadline } }];
  },
  addComment: async (side) => [`mutation($input: AddCommentInput!) { addComment(input: $input) { id } }`,
    { input: { indicator: AT[side].indicator, region: AT[side].region, kind: 'COMMENT', text: `意见 ${next()}` } }],
  addInstruction: async (side) => [`mutation($input: AddCommentInput!) { addComment(input: $input) { id kind } }`,
    { input: { indicator: AT[side].indicator, region: AT[side].region, kind: 'INSTRUCTION', text: `批示 ${next()}` } }],
  urge: async (side) => [`mutation($input: UrgeInput!) { urge(input: $input) { id } }`,
    { input: { indicator: AT[side].indicator, region: AT[side].region, dueOn: '2019-07-10', message: `催办 ${next()}` } }],
  createIndicator: async (side) => [`mutation($input: CreateIndicatorInput!) { createIndicator(input: $input) { id } }`,
    { input: { programme: AT[side].programme, code: `${AT[side].programme}-X${next()}`, name: '新指标', kind: 'COUNT' } }],
  updateIndicator: async (side) => {
    const data = await asAdmin(`query($code: String!) { indicator(code: $code) { version } }`, { code: AT[side].indicator });
    return [`mutation($input: UpdateIndicatorInput!) { updateIndicator(input: $input) { version } }`,
      { input: { code: AT[side].indicator, expectedVersion: (data.indicator as { version: number }).version, source: `改 ${next()}` } }];
  },
  setCountedStatuses: async (side) => [`mutation($p: String!) { setCountedStatuses(programme: $p, countedStatuses: [APPROVED, SUBMITTED]) { code } }`,
    { p: AT[side].programme }],
  setScoreWeights: async (side) => [`mutation($p: String!, $w: [ScoreWeightInput!]!) { setScoreWeights(programme: $p, weights: $w) { code } }`,
    { p: AT[side].programme, w: [{ indicator: AT[side].indicator, weight: next() }] }],
  acknowledgeNotice: async (side) => [`mutation($input: NoticeStepInput!) { acknowledgeNotice(input: $input) { state } }`,
    { input: { notice: await noticeIn(side, 'ISSUED') } }],
  requestNoticeExtension: async (side) => [`mutation($input: RequestExtensionInput!) { requestNoticeExtension(input: $input) { state } }`,
    { input: { notice: await noticeIn(side, 'ACKNOWLEDGED'), until: '2019-12-15', reason: `延期 ${next()}` } }],
  decideNoticeExtension: async (side) => [`mutation($input: DecideExtensionInput!) { decideNoticeExtension(input: $input) { state } }`,
    { input: { notice: await noticeIn(side, 'EXTENSION_REQUESTED'), decision: 'GRANTED' } }],
  completeNotice: async (side) => [`mutation($input: NoticeStepInput!) { completeNotice(input: $input) { state } }`,
    { input: { notice: await noticeIn(side, 'ACKNOWLEDGED') } }],
  reviewNoticeCompletion: async (side) => [`mutation($input: ReviewCompletionInput!) { reviewNoticeCompletion(input: $input) { state } }`,
    { input: { notice: await noticeIn(side, 'COMPLETED'), decision: 'ACCEPTED' } }],
  setNoticeRules: async (side) => [`mutation($input: SetNoticeRulesInput!) { setNoticeRules(input: $input) { version } }`,
    { input: { programme: AT[side].programme, blueWithinDays: 10 + (next() % 20) } }],
  setTrajectory: async (side) => {
    // A target of its own to plan (made by the first call; later ones find it there).
    await server.call(`mutation($input: SetTargetInput!) { setTarget(input: $input) { id } }`,
      { input: { indicator: AT[side].indicator, region: AT[side].region, comparator: 'GTE', value: 10, deadline: '2019-12-21' } }, tokens.admin);
    return [`mutation($input: SetTrajectoryInput!) { setTrajectory(input: $input) { version } }`,
      { input: { indicator: AT[side].indicator, region: AT[side].region, deadline: '2019-12-21', interpolation: 'LINEAR', milestones: [{ on: '2019-09-01', value: next() % 10 }] } }];
  },
  createUser: async (side) => [`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
    { input: { username: `u${next()}`, password: 'long enough', role: 'REPORTER', region: AT[side].region } }],
  updateUser: async () => {
    const data = await asAdmin(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      { input: { username: `v${next()}`, password: 'long enough', role: 'VIEWER' } });
    return [`mutation($input: UpdateUserInput!) { updateUser(input: $input) { id } }`, { input: { id: (data.createUser as { id: string }).id, disabled: true } }];
  },
  createScreenToken: async (side) => [`mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token } }`,
    { input: { name: `屏 ${next()}`, boards: [{ programme: AT[side].programme, region: AT[side].region }] } }],
  createChannel: async (side) => [`mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`,
    { input: { name: `群 ${next()}`, kind: 'WEBHOOK', url: 'http://127.0.0.1:9/hook', programmes: [AT[side].programme], regions: [AT[side].region] } }],
  updateChannel: async () => {
    const data = await asAdmin(`mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`,
      { input: { name: `改 ${next()}`, kind: 'WEBHOOK', url: 'http://127.0.0.1:9/hook' } });
    return [`mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { id } }`, { input: { id: (data.createChannel as { id: string }).id, name: `改后 ${next()}` } }];
  },
  deleteChannel: async () => {
    const data = await asAdmin(`mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`,
      { input: { name: `删 ${next()}`, kind: 'WEBHOOK', url: 'http://127.0.0.1:9/hook' } });
    return [`mutation($id: ID!) { deleteChannel(id: $id) { id } }`, { id: (data.createChannel as { id: string }).id }];
  },
  revokeToken: async (side) => {
    const data = await asAdmin(`mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { session { id } } }`,
      { input: { name: `待撤 ${next()}`, boards: [{ programme: AT[side].programme, region: AT[side].region }] } });
    return [`mutation($id: ID!) { revokeToken(id: $id) { revokedAt } }`, { id: (data.createScreenToken as { session: { id: string } }).session.id }];
  },
};

type Expect = 'OK' | 'FORBIDDEN';
const OK: [Expect, Expect] = ['OK', 'OK'];
const NO: [Expect, Expect] = ['FORBIDDEN', 'FORBIDDEN'];
const IN: [Expect, Expect] = ['OK', 'FORBIDDEN'];

/** Expected [inside, outside] for each caller. `board` is a screen token for P3 at 330300. */
const MATRIX: Record<string, Record<string, [Expect, Expect]>> = {
  submitFigure: { admin: OK, leader: NO, yanglao: IN, lucheng: IN, screen: NO, board: NO },
  submitFigures: { admin: OK, leader: NO, yanglao: IN, lucheng: IN, screen: NO, board: NO },
  reviewSubmission: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  setTarget: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  addComment: { admin: OK, leader: OK, yanglao: OK, lucheng: IN, screen: NO, board: NO },
  addInstruction: { admin: OK, leader: OK, yanglao: NO, lucheng: NO, screen: NO, board: NO },
  urge: { admin: OK, leader: OK, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  createIndicator: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  updateIndicator: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  setCountedStatuses: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  setScoreWeights: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  acknowledgeNotice: { admin: OK, leader: NO, yanglao: NO, lucheng: IN, screen: NO, board: NO },
  requestNoticeExtension: { admin: OK, leader: NO, yanglao: NO, lucheng: IN, screen: NO, board: NO },
  decideNoticeExtension: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  completeNotice: { admin: OK, leader: NO, yanglao: NO, lucheng: IN, screen: NO, board: NO },
  reviewNoticeCompletion: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  setNoticeRules: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  setTrajectory: { admin: OK, leader: NO, yanglao: IN, lucheng: NO, screen: NO, board: NO },
  createUser: { admin: OK, leader: NO, yanglao: NO, lucheng: NO, screen: NO, board: NO },
  updateUser: { admin: OK, leader: NO, yanglao: NO, lucheng: NO, screen: NO, board: NO },
  createScreenToken: { admin: OK, leader: NO, yanglao: NO, lucheng: NO, screen: NO, board: NO },
  revokeToken: { admin: OK, leader: NO, yanglao: NO, lucheng: NO, screen: NO, board: NO },
  createChannel: { admin: OK, leader: NO, yanglao: NO, lucheng: NO, screen: NO, board: NO },
  updateChannel: { admin: OK, leader: NO, yanglao: NO, lucheng: NO, screen: NO, board: NO },
  deleteChannel: { admin: OK, leader: NO, yanglao: NO, lucheng: NO, screen: NO, board: NO },
};

const CALLERS = ['admin', 'leader', 'yanglao', 'lucheng', 'screen', 'board'];
// Deliveries are not counted: they are made after a commit, as the projection's events are.
const WRITTEN = ['submission', 'target', 'comment', 'urge', 'indicator', 'app_user', 'auth_session', 'audit_entry', 'outbox_event', 'score_weight', 'notice', 'notice_step', 'notice_rules', 'trajectory', 'channel'];

beforeAll(async () => {
  server = await startTestServer();
  for (const name of CALLERS.filter((c) => c !== 'board')) tokens[name] = await server.token(name);
  const data = await asAdmin(`mutation($input: CreateScreenTokenInput!) { createScreenToken(input: $input) { token } }`,
    { input: { name: '三楼会议室', boards: [{ programme: 'P3', region: '330300' }] } });
  tokens.board = (data.createScreenToken as { token: string }).token;
});
afterAll(() => server.close());

async function counts(): Promise<number[]> {
  // What the projector derives from a write (its ProgressChanged) and the notices judged from it are appended after the commit: let them finish first.
  await server.projected();
  return Promise.all(WRITTEN.map((t) => server.count(t)));
}

const cases = Object.entries(MATRIX).flatMap(([mutation, row]) =>
  CALLERS.flatMap((caller) => (['inside', 'outside'] as const).map((side, i) => [mutation, caller, side, row[caller][i]] as const)));

describe('the role matrix', () => {
  it('covers every mutation of the schema', async () => {
    const { json } = await server.post(JSON.stringify({ query: '{ __schema { mutationType { fields { name } } } }' }), tokens.admin);
    const all = ((json.data as { __schema: { mutationType: { fields: { name: string }[] } } }).__schema.mutationType.fields).map((f) => f.name);
    const covered = new Set([...Object.keys(MATRIX).map((m) => (m === 'addInstruction' ? 'addComment' : m)), 'login', 'logout']);
    expect(all.filter((m) => !covered.has(m))).toEqual([]);
  });

  it.each(cases)('%s by %s, %s scope: %s', async (mutation, caller, side, expected) => {
    const [query, variables] = await MUTATIONS[mutation](side);
    const before = await counts();
    const { code } = await server.call(query, variables, tokens[caller]);
    expect(code).toBe(expected);
    if (expected === 'FORBIDDEN') expect(await counts()).toEqual(before);
  });
});

describe('the role matrix over WebSocket: the same answers on an open socket', () => {
  const sockets: Record<string, OpenSocket> = {};
  beforeAll(async () => {
    for (const caller of CALLERS) {
      sockets[caller] = openSocket(server.wsUrl, tokens[caller]);
      await sockets[caller].connected;
    }
  });
  afterAll(() => Promise.all(Object.values(sockets).map((s) => s.dispose())));

  it.each(cases)('%s by %s, %s scope: %s', async (mutation, caller, side, expected) => {
    const [query, variables] = await MUTATIONS[mutation](side);
    const before = await counts();
    const { code } = await sockets[caller].call(query, variables);
    expect(code).toBe(expected);
    if (expected === 'FORBIDDEN') expect(await counts()).toEqual(before);
    expect(sockets[caller].closedWith()).toBeUndefined();
  });
});

describe('reads follow the same scopes', () => {
  const PROGRESS = `query($i: String!, $r: String!) { indicator(code: $i) { progress(region: $r) { actual } } }`;
  const SUBMISSIONS = `query($p: String, $r: String) { submissions(filter: { programme: $p, region: $r }, first: 500) { nodes { region { code } } } }`;

  it.each([
    ['lucheng', 'P3-01', '330302', 'OK'],
    ['lucheng', 'P3-01', '330303', 'FORBIDDEN'],
    ['lucheng', 'P3-01', '330300', 'FORBIDDEN'],
    ['leader', 'P1-03', '330303', 'OK'],
    ['yanglao', 'P1-03', '330303', 'OK'],
    ['screen', 'P1-03', '330303', 'OK'],
    ['board', 'P3-01', '330302', 'OK'],
    ['board', 'P1-03', '330302', 'FORBIDDEN'],
  ])('progress: %s reading %s at %s gets %s', async (caller, indicator, region, expected) => {
    expect((await server.call(PROGRESS, { i: indicator, r: region }, tokens[caller])).code).toBe(expected);
  });

  it('a reporter lists only the submissions of its own subtree', async () => {
    const { code, data } = await server.call(SUBMISSIONS, {}, tokens.lucheng);
    expect(code).toBe('OK');
    const regions = (data!.submissions as { nodes: { region: { code: string } }[] }).nodes.map((n) => n.region.code);
    expect(regions.length).toBeGreaterThan(0);
    expect(regions.every((r) => r.startsWith('330302'))).toBe(true);
    expect((await server.call(SUBMISSIONS, { r: '330303' }, tokens.lucheng)).code).toBe('FORBIDDEN');
  });

  it('a screen token lists only inside its boards, and sees only its programmes', async () => {
    expect((await server.call(SUBMISSIONS, {}, tokens.board)).code).toBe('FORBIDDEN');
    expect((await server.call(SUBMISSIONS, { p: 'P3', r: '330302' }, tokens.board)).code).toBe('OK');
    const { data } = await server.call('{ programmes { code } }', {}, tokens.board);
    expect(data!.programmes).toEqual([{ code: 'P3' }]);
    expect((await server.call('{ programme(code: "P1") { code } }', {}, tokens.board)).code).toBe('FORBIDDEN');
  });

  it('the audit trail is for the city: REPORTER and VIEWER are refused', async () => {
    const AUDIT = '{ auditEntries(first: 1) { totalCount } }';
    expect((await server.call(AUDIT, {}, tokens.lucheng)).code).toBe('FORBIDDEN');
    expect((await server.call(AUDIT, {}, tokens.screen)).code).toBe('FORBIDDEN');
    expect((await server.call(AUDIT, {}, tokens.leader)).code).toBe('OK');
  });
});
