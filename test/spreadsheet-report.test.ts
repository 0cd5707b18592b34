import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BoardDocument, type BoardQuery } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { upload, writtenRows, xlsx, type CellValue } from './helpers/spreadsheet';

// Done when: the report's first-half figures, imported from .xlsx files into an empty programme,
// read back on the board (the contract's Board query) as the report gives them. Some 470 rows: a
// longer timeout, for a machine under load.
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

interface SeedIndicator { code: string; actual?: { value: number } }
const seed = parse(readFileSync(join(__dirname, '..', 'src', 'modules', 'demo', 'data', 'wenzhou-2019-indicators.yaml'), 'utf8')) as {
  programmes: { code: string; indicators: SeedIndicator[] }[];
};
const P3_ACTUALS = seed.programmes.find((p) => p.code === 'P3')!.indicators.filter((i) => i.actual).map((i) => [i.code, i.actual!.value] as const);

const sql = <T>(text: string) => server.orm.em.getConnection().execute<T[]>(text);
const P3_INDICATORS = `select i.id from indicator i join programme p on p.id = i.programme_id where p.code = 'P3'`;

interface FigureRow { indicator: string; indicator_name: string; region: string; region_name: string; value: number; numerator: number | null; denominator: number | null; as_of: string; note: string | null }
interface TargetRow { indicator: string; indicator_name: string; region: string; region_name: string; comparator: string; value: number | null; min: number | null; max: number | null; deadline: string | null }

async function board(token: string): Promise<BoardQuery> {
  const { data, errors } = await server.gql(BoardDocument, { programme: 'P3', region: '330300' }, token);
  expect(errors).toBeUndefined();
  return data!;
}

/** What a board shows of each indicator, without the times and the history-based forecast. */
const shown = (b: BoardQuery) => b.programme!.indicators.map((i) => ({
  code: i.code, actual: i.progress.actual, target: i.progress.target, completion: i.progress.completion,
  expectedByNow: i.progress.expectedByNow, status: i.progress.status, reported: i.progress.reportedCount,
  children: i.progress.children.map((c) => [c.region.code, c.actual, c.target?.value ?? null, c.status]),
}));

const SIGNS: Record<string, string> = { GTE: '≥', LTE: '≤', EQ: '=', RANGE: '区间' };

describe('the report\'s first half, from .xlsx into an empty programme, on the board', () => {
  it('imports P3\'s targets and figures and the board reads the report\'s figures', async () => {
    const screen = await server.token('screen');
    const yanglao = await server.token('yanglao');
    const demoBoard = shown(await board(screen));

    // The demo's P3 (the report's figures, split over the regions that report them), as files.
    const figures = await sql<FigureRow>(`
      select distinct on (s.indicator_id, s.region_code) i.code as indicator, i.name as indicator_name, s.region_code as region,
        r.name as region_name, s.value::float8 as value, s.numerator::float8 as numerator, s.denominator::float8 as denominator,
        s.as_of::text as as_of, s.note
      from submission s join indicator i on i.id = s.indicator_id join region r on r.code = s.region_code
      where s.indicator_id in (${P3_INDICATORS}) and s.status <> 'RETURNED'
      order by s.indicator_id, s.region_code, s.as_of desc, s.id desc`);
    const targets = await sql<TargetRow>(`
      select i.code as indicator, i.name as indicator_name, t.region_code as region, r.name as region_name, t.comparator,
        t.value::float8 as value, t.min::float8 as min, t.max::float8 as max, t.deadline::text as deadline
      from target t join indicator i on i.id = t.indicator_id join region r on r.code = t.region_code
      where t.indicator_id in (${P3_INDICATORS}) order by i.code, t.region_code, t.deadline`);
    expect(figures.length).toBeGreaterThan(100);
    expect(targets.length).toBeGreaterThan(10);

    // An empty programme: P3's figures and targets gone (the demo's rows, removed past the
    // append-only rule by the tables' owner for this test's own database), and the roll-ups built again from what is left.
    await server.asOwner(`alter table submission disable trigger submission_append_only;
      delete from submission where indicator_id in (${P3_INDICATORS});
      alter table submission enable trigger submission_append_only`);
    // The notices judged on those targets (once the engine has judged all it will), and the trajectories planned on them, go with them.
    await server.projected();
    await sql(`delete from notice_step where notice_id in (select id from notice where indicator_id in (${P3_INDICATORS}))`);
    await sql(`delete from notice where indicator_id in (${P3_INDICATORS})`);
    await sql(`delete from trajectory where target_id in (select id from target where indicator_id in (${P3_INDICATORS}))`);
    await sql(`delete from target where indicator_id in (${P3_INDICATORS})`);
    await server.rebuildProjection();
    const empty = await board(screen);
    expect(empty.programme!.indicators.every((i) => i.progress.actual === null && i.progress.target === null)).toBe(true);

    // Targets: a title merged over the columns, Chinese headers, signs for comparators, a blank row.
    const targetRows: CellValue[][] = targets.map((t) => [t.indicator, t.indicator_name, t.region, t.region_name, SIGNS[t.comparator], t.value, t.min, t.max, t.deadline]);
    targetRows.splice(3, 0, [null, null, null, null, null, null, null, null, null]);
    const targetFile = await xlsx({
      title: '温州市民政局 2019年 幸福养老“彩”夕阳工程 目标任务',
      header: [['指标代码', '指标名称', '地区代码', '地区名称', '比较', '目标值', '下限', '上限', '截止日期']],
      rows: targetRows,
    });
    const before = await writtenRows(server);
    const t = await upload(server, 'targets', targetFile, { token: yanglao });
    expect(t.body.conflicts).toEqual([]);
    expect(t).toMatchObject({ status: 200, body: { status: 'SUCCESS', written: true, counts: { rows: targets.length, imported: targets.length, updated: 0, ignored: 0 } } });

    // Figures: a two-row header under merged group cells (指标 over 代码 | 名称), dates as dates, blank rows.
    const figureRows: CellValue[][] = figures.map((f) => [f.indicator, f.indicator_name, f.region, f.region_name, f.value, f.numerator, f.denominator, new Date(`${f.as_of}T00:00:00Z`), f.note]);
    for (const at of [0, 40, 120]) figureRows.splice(at, 0, [null, null, null, null, null, null, null, null, null]);
    const figureFile = await xlsx({
      title: '温州市民政局 2019年上半年 幸福养老“彩”夕阳工程 完成情况',
      header: [['指标', null, '地区', null, '数值', '分子', '分母', '截至日期', '备注'], ['代码', '名称', '代码', '名称']],
      merges: ['A2:B2', 'C2:D2', 'E2:E3', 'F2:F3', 'G2:G3', 'H2:H3', 'I2:I3'],
      rows: figureRows,
      formats: { H: 'yyyy-mm-dd' },
    });
    const s = await upload(server, 'submissions', figureFile, { token: yanglao });
    expect(s.body.conflicts).toEqual([]);
    expect(s).toMatchObject({ status: 200, body: { status: 'SUCCESS', written: true, counts: { rows: figures.length, imported: figures.length, updated: 0, ignored: 0 } } });
    const after = await writtenRows(server);
    expect(after.submission).toBe(before.submission + figures.length);
    expect(after.target).toBe(before.target + targets.length);
    expect(after.outbox_event).toBeGreaterThan(before.outbox_event);

    // The board reads what it read before P3 was emptied, and the report's own figures.
    const imported = await board(screen);
    expect(shown(imported)).toEqual(demoBoard);
    const byCode = new Map(imported.programme!.indicators.map((i) => [i.code, i.progress]));
    for (const [code, value] of P3_ACTUALS) expect([code, byCode.get(code)!.actual]).toEqual([code, value]);
    expect(byCode.get('P3-01')).toMatchObject({ actual: 25, target: { value: 70, comparator: 'GTE', deadline: '2019-10-31' }, status: 'BEHIND' });
    expect(byCode.get('P3-01')!.completion).toBeCloseTo(25 / 70, 3);
    expect(byCode.get('P3-03')!.completion).toBeCloseTo(7430 / 11680, 3);
    expect(byCode.get('P3-15')!.target).toMatchObject({ comparator: 'RANGE', min: 3, max: 5 });
  }, 180_000);
});
