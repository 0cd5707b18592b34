import { startTestServer, type TestServer } from './helpers/test-server';
import { csv, upload, xlsx, type CellValue } from './helpers/spreadsheet';

/** Trajectories by spreadsheet: a row per milestone, one plan per target, through setTrajectory. */
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const HEADER = ['指标代码', '指标名称', '地区代码', '截止日期', '方式', '节点日期', '计划值', '备注'];
const PLAN = `query($i: String!, $r: String!) { indicator(code: $i) { progress(region: $r) {
  expectedByNow target { trajectory { version interpolation derived milestones { on value } } } } } }`;
const plan = async (indicator: string, region: string) =>
  (await server.ok(PLAN, { i: indicator, r: region }, await server.token('admin'))).indicator.progress;
const written = async () => {
  await server.projected();
  return Promise.all(['trajectory', 'audit_entry', 'outbox_event'].map((t) => server.count(t)));
};

/** 龙湾区's beds in steps (the file's rows out of order), 瓯海区's centres on a line. */
const ROWS: CellValue[][] = [
  ['P3-03', '新增机构床位', '330303', '2019-11-30', '阶梯', '2019-09-30', 700, '三季度末'],
  ['P3-03', '新增机构床位', '330303', '2019-11-30', null, '2019-06-30', 500, null],
  [null, null, null, null, null, null, null, null],
  ['P3-01', '中心建成投用', '330304', '2019/10/31', '线性', '2019年8月31日', 4, null],
  ['P3-01', '中心建成投用', '330304', '2019-10-31', '线性', '2019-06-30', 2, null],
];

describe('POST /import/trajectories', () => {
  it('plans each target from its rows, as setTrajectory would; the same file again changes nothing; a changed one is a new version', async () => {
    const yanglao = await server.token('yanglao');
    const file = await xlsx({ title: '2019年 时间节点计划表', header: [HEADER], rows: ROWS });
    const first = await upload(server, 'trajectories', file, { token: yanglao });
    expect(first).toMatchObject({ status: 200, body: { status: 'SUCCESS', written: true, counts: { rows: 4, imported: 2, updated: 0, ignored: 0 }, conflicts: [] } });
    const beds = await plan('P3-03', '330303');
    expect(beds.target.trajectory).toEqual({ version: 1, interpolation: 'STEP', derived: false,
      milestones: [{ on: '2019-06-30', value: 500 }, { on: '2019-09-30', value: 700 }] });
    // A step plan: what its last milestone by June 30 says.
    expect(beds.expectedByNow).toBe(500);
    const centres = await plan('P3-01', '330304');
    expect(centres.target.trajectory).toMatchObject({ version: 1, interpolation: 'LINEAR', milestones: [{ on: '2019-06-30', value: 2 }, { on: '2019-08-31', value: 4 }] });
    expect(centres.expectedByNow).toBe(2);

    const before = await written();
    const again = await upload(server, 'trajectories', csv([HEADER, ...ROWS]), { token: yanglao });
    expect(again).toMatchObject({ status: 200, body: { status: 'SUCCESS', counts: { rows: 4, imported: 0, updated: 0, ignored: 2 } } });
    expect(await written()).toEqual(before);

    const changed = ROWS.map((r) => (r[5] === '2019-09-30' ? [...r.slice(0, 6), 800, r[7]] : r));
    const third = await upload(server, 'trajectories', csv([HEADER, ...changed]), { token: yanglao });
    expect(third).toMatchObject({ status: 200, body: { status: 'SUCCESS', counts: { imported: 0, updated: 1, ignored: 1 } } });
    expect((await plan('P3-03', '330303')).target.trajectory).toMatchObject({ version: 2, milestones: [{ value: 500 }, { value: 800 }] });
  });

  it('checks without writing on a dry run', async () => {
    const before = await written();
    const rows = [['P3-03', null, '330305', '2019-11-30', '线性', '2019-08-31', 300, null]];
    const res = await upload(server, 'trajectories', csv([HEADER, ...rows]), { token: await server.token('yanglao'), dryRun: true });
    expect(res).toMatchObject({ status: 200, body: { status: 'SUCCESS', dryRun: true, written: false, counts: { imported: 1 } } });
    expect(await written()).toEqual(before);
  });

  const row = (over: Partial<Record<number, CellValue>>): CellValue[] =>
    Object.assign(['P3-03', null, '330305', '2019-11-30', '线性', '2019-08-31', 300, null], over);
  it.each([
    ['an unknown indicator', [row({ 0: 'P3-99' })], 409, { row: 2, code: 'NOT_FOUND' }],
    ['no target with that deadline', [row({ 3: '2019-09-30', 5: '2019-08-01' })], 409, { row: 2, code: 'NOT_FOUND' }],
    ['a milestone after the deadline, on its own row', [row({}), row({ 5: '2019-12-15', 6: 400 })], 409, { row: 3, column: '节点日期', code: 'BAD_USER_INPUT' }],
    ['a plan value that is not a number', [row({ 6: '三百' })], 409, { row: 2, column: '计划值', code: 'BAD_USER_INPUT' }],
    ['a negative count', [row({ 6: -3 })], 409, { row: 2, column: '计划值', code: 'BAD_USER_INPUT' }],
    ['a day without a value', [row({ 6: null })], 409, { row: 2, column: '计划值', code: 'BAD_USER_INPUT' }],
    ['an unknown way', [row({ 4: '曲线' })], 409, { row: 2, column: '方式', code: 'BAD_USER_INPUT' }],
    ['two ways for one target', [row({}), row({ 4: '阶梯', 5: '2019-10-31', 6: 400 })], 409, { row: 3, column: '方式', code: 'CONFLICT' }],
    ['one day with two values', [row({}), row({ 6: 350 })], 409, { row: 3, column: '节点日期', code: 'CONFLICT' }],
    ['another department\'s programme', [row({ 0: 'P1-03', 3: '2019-12-31' })], 403, { row: 2, code: 'FORBIDDEN' }],
  ])('refuses %s, writing nothing', async (_name, rows, status, conflict) => {
    const before = await written();
    const res = await upload(server, 'trajectories', csv([HEADER, ...rows]), { token: await server.token('yanglao') });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ status: 'ERROR', written: false });
    expect(res.body.conflicts).toContainEqual(expect.objectContaining(conflict));
    expect(await written()).toEqual(before);
  });

  it('refuses a reporter, and a sheet without its milestone days', async () => {
    const before = await written();
    const reporter = await upload(server, 'trajectories', csv([HEADER, row({ 2: '330302' })]), { token: await server.token('lucheng') });
    expect(reporter).toMatchObject({ status: 403, body: { status: 'ERROR', conflicts: [expect.objectContaining({ code: 'FORBIDDEN' })] } });
    const noDays = await upload(server, 'trajectories', csv([['指标代码', '地区代码', '计划值'], ['P3-03', '330305', 300]]), { token: await server.token('yanglao') });
    expect(noDays).toMatchObject({ status: 400, body: { status: 'ERROR', code: 'BAD_USER_INPUT' } });
    expect(await written()).toEqual(before);
  });
});
