import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { BoardEventsDocument, ProgressDetailDocument, SubmitDocument, TargetsDocument, type BoardEventsSubscription } from './generated/graphql';
import { startTestServer, type TestServer } from './helpers/test-server';
import { until } from './helpers/until';
import { csv, sheetRows, upload, writtenRows, xlsx, type CellValue } from './helpers/spreadsheet';

let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(() => server.close());

const FIGURE_HEADER = ['指标代码', '指标名称', '地区代码', '地区名称', '数值', '截至日期', '备注'];
const origin = () => server.url.replace(/\/graphql$/, '');

async function actual(indicator: string, region: string): Promise<number | null> {
  const { data } = await server.gql(ProgressDetailDocument, { indicator, region }, await server.token('screen'));
  return data!.indicator.progress.actual;
}

async function exportBoard(query: string, token?: string): Promise<Response> {
  return fetch(`${origin()}/export/board.xlsx?${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

// First, while the board is the demo's: the export reads what the Board query reads.
describe('GET /export/board.xlsx', () => {
  it('exports a board: each indicator with figure, target, completion and status, and its breakdown by child region', async () => {
    const res = await exportBoard('programme=P3&region=330300', await server.token('screen'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await res.arrayBuffer());
    const board = sheetRows(workbook.getWorksheet('看板')!);
    const header = board.get(2)!;
    const p301 = [...board.values()].find((r) => r[0] === 'P3-01')!;
    const cell = (name: string) => p301[header.indexOf(name)];
    expect([cell('实际'), cell('比较'), cell('目标值'), cell('截止日期'), cell('状态')]).toEqual([25, '≥', 70, '2019-10-31', '滞后']);
    expect(cell('完成率') as number).toBeCloseTo(25 / 70, 3);
    expect([...board.values()].filter((r) => typeof r[0] === 'string' && /^P3-\d\d$/.test(r[0] as string))).toHaveLength(20);

    const children = [...sheetRows(workbook.getWorksheet('分地区')!).values()];
    const childHeader = children[0];
    const p301Children = children.filter((r) => r[0] === 'P3-01');
    expect(p301Children).toHaveLength(12);
    expect(p301Children.reduce((sum, r) => sum + ((r[childHeader.indexOf('实际')] as number | null) ?? 0), 0)).toBe(25);
    expect(p301Children.map((r) => r[childHeader.indexOf('地区名称')])).toContain('鹿城区');
  });

  it('refuses without a token, and says NOT_FOUND for an unknown programme', async () => {
    const anonymous = await exportBoard('programme=P3&region=330300');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ status: 'ERROR', code: 'UNAUTHENTICATED' });
    const unknown = await exportBoard('programme=P9&region=330300', await server.token('screen'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await exportBoard('programme=P3', await server.token('screen'))).status).toBe(400);
  });
});

describe('POST /import/submissions', () => {
  it('imports a CSV with Chinese headers, a BOM, blank rows, text numbers and Chinese dates, each row once', async () => {
    const token = await server.token('lucheng');
    const file = csv([
      FIGURE_HEADER,
      ['P3-01', '乡镇（街道）居家养老服务中心建成投用', '330302', '鹿城区', '4', '2019/6/30', '新开2家'],
      [null, null, null, null, null, null, null],
      ['P3-02', '交由专业机构运营', 330302, '鹿城区', ' 1,0 ', '2019-06-30', null],
      ['P3-05', '老年人助餐点', '330302006', '五马街道', '１２', '2019年6月30日', '含配送餐'],
      [null, null, null, null, null, null, null],
    ], { bom: true });
    const before = await writtenRows(server);
    const res = await upload(server, 'submissions', file, { token, contentType: 'text/csv' });
    expect(res.body.conflicts).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'SUCCESS', written: true, counts: { rows: 3, ignored: 0 } });
    expect(res.body.counts!.imported + res.body.counts!.updated).toBe(3);
    const after = await writtenRows(server);
    expect(after.submission).toBe(before.submission + 3);
    expect(after.outbox_event).toBeGreaterThan(before.outbox_event);
    expect([await actual('P3-01', '330302'), await actual('P3-02', '330302'), await actual('P3-05', '330302006')]).toEqual([4, 10, 12]);

    const again = await upload(server, 'submissions', file, { token });
    expect(again.body).toMatchObject({ status: 'SUCCESS', counts: { rows: 3, imported: 0, updated: 0, ignored: 3 } });
    expect(await writtenRows(server)).toEqual(after);
  });

  it('checks everything in a dry run and writes nothing', async () => {
    const before = await writtenRows(server);
    const res = await upload(server, 'submissions', csv([FIGURE_HEADER, ['P3-01', null, '330302', null, 6, '2019-06-30', null]]), { token: await server.token('lucheng'), dryRun: true });
    expect(res).toMatchObject({ status: 200, body: { status: 'SUCCESS', dryRun: true, written: false, counts: { rows: 1, updated: 1 } } });
    expect(await writtenRows(server)).toEqual(before);
    expect(await actual('P3-01', '330302')).toBe(4);
  });

  it('takes the file from a form (multipart/form-data), as a browser sends it', async () => {
    const form = new FormData();
    form.append('note', 'first half');
    const file = await xlsx({ header: [['指标代码', '地区代码', '数值', '截至日期']], rows: [['P3-02', '330302', 11, '2019-06-30']] });
    form.append('file', new Blob([new Uint8Array(file)]), '鹿城区.xlsx');
    const res = await fetch(`${origin()}/import/submissions`, { method: 'POST', headers: { authorization: `Bearer ${await server.token('lucheng')}` }, body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'SUCCESS', counts: { rows: 1 } });
    expect(await actual('P3-02', '330302')).toBe(11);
  });

  it('reads a CSV saved as GB18030 (Excel on a Chinese Windows)', async () => {
    // 指标代码,地区代码,数值,截至日期,备注 / P3-01,330302,5,2019-06-30,鹿城区新建, in GB18030.
    const gb = Buffer.from('d6b8b1eab4fac2eb2cb5d8c7f8b4fac2eb2ccafdd6b52cbdd8d6c1c8d5c6da2cb1b8d7a20d0a50332d30312c3333303330322c352c323031392d30362d33302cc2b9b3c7c7f8d0c2bda80d0a', 'hex');
    const res = await upload(server, 'submissions', gb, { token: await server.token('lucheng') });
    expect(res.body).toMatchObject({ status: 'SUCCESS', counts: { rows: 1 } });
    expect(await actual('P3-01', '330302')).toBe(5);
  });

  it('reads an .xlsx percentage cell as its percent, and dates as dates', async () => {
    const file = await xlsx({
      header: [['指标代码', '地区代码', '数值', '截至日期']],
      rows: [['P1-01', '330302', 0.436, new Date(Date.UTC(2019, 5, 30))]],
      formats: { C: '0.0%', D: 'yyyy"年"m"月"d"日"' },
    });
    const res = await upload(server, 'submissions', file, { token: await server.token('lucheng') });
    expect(res.body).toMatchObject({ status: 'SUCCESS', counts: { rows: 1 } });
    expect(await actual('P1-01', '330302')).toBe(43.6);
  });
});

describe('an import on a live board', () => {
  it('moves the board once per indicator and region, however many rows moved it, with the figures after the whole file', async () => {
    const client = createClient({
      url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false,
      connectionParams: { authorization: `Bearer ${await server.token('screen')}` }, onNonLazyError: () => undefined,
    });
    const moved: string[] = [];
    const cityFigures: number[] = [];
    client.subscribe<BoardEventsSubscription>({ query: print(BoardEventsDocument), variables: { programme: 'P3', region: '330300' } }, {
      next: ({ data }) => {
        const e = data!.boardEvents;
        if (e.__typename !== 'ProgressChanged') return;
        moved.push(`${e.indicator.code} ${e.region.code}`);
        if (e.indicator.code === 'P3-08' && e.region.code === '330300') cityFigures.push(e.progress.actual!);
      },
      error: () => undefined,
      complete: () => undefined,
    });
    try {
      await until(() => server.services.events.listenerCount === 1, 'the subscription');
      const before = (await actual('P3-08', '330300'))! - (await actual('P3-08', '330302'))! - (await actual('P3-08', '330303'))!;
      const res = await upload(server, 'submissions', csv([
        ['指标代码', '地区代码', '数值', '截至日期'], ['P3-08', '330302', 1000, '2019-06-30'], ['P3-08', '330303', 2000, '2019-06-30'],
      ]), { token: await server.token('admin') });
      expect(res.body.status).toBe('SUCCESS');
      // A figure entered after the import fences the stream: every event of the import came before its own.
      await server.gql(SubmitDocument, { input: { indicator: 'P3-02', region: '330302', value: 12, asOf: '2019-06-30' } }, await server.token('admin'));
      await until(() => moved.includes('P3-02 330300'), 'the fence\'s event');
      expect(moved.filter((m) => m.startsWith('P3-08')).sort()).toEqual(['P3-08 330300', 'P3-08 330302', 'P3-08 330303']);
      expect(cityFigures).toEqual([before + 3000]);
    } finally {
      await client.dispose();
    }
  });
});

describe('POST /import/targets', () => {
  it('creates and changes targets, and leaves an unchanged one alone', async () => {
    const token = await server.token('yanglao');
    const file = await xlsx({
      title: '2019年 养老服务 目标分解',
      header: [['指标代码', '地区代码', '比较', '目标值', '下限', '上限', '截止日期']],
      rows: [
        ['P3-01', '330302', '不低于', 9, null, null, '2019-10-31'],
        ['P3-15', '330302', '区间', null, 1, 2, '2019-12-31'],
      ],
    });
    const first = await upload(server, 'targets', file, { token });
    expect(first.body.conflicts).toEqual([]);
    expect(first.body).toMatchObject({ status: 'SUCCESS', written: true, counts: { rows: 2 } });
    const { data } = await server.gql(TargetsDocument, { filter: { region: '330302', programme: 'P3' }, first: 100 }, token);
    const mine = data!.targets.nodes.filter((t) => t.region.code === '330302');
    expect(mine.find((t) => t.indicator.code === 'P3-01' && t.deadline === '2019-10-31')).toMatchObject({ value: 9, comparator: 'GTE' });
    expect(mine.find((t) => t.indicator.code === 'P3-15')).toMatchObject({ comparator: 'RANGE', min: 1, max: 2 });

    const before = await writtenRows(server);
    const again = await upload(server, 'targets', file, { token });
    expect(again.body).toMatchObject({ status: 'SUCCESS', counts: { imported: 0, updated: 0, ignored: 2 } });
    expect(await writtenRows(server)).toEqual(before);
  });

  it('refuses a stale 版本 as CONFLICT, and a comparator it does not know', async () => {
    const before = await writtenRows(server);
    const file = csv([
      ['指标代码', '地区代码', '比较', '目标值', '截止日期', '版本'],
      ['P3-01', '330302', '≥', 11, '2019-10-31', 1],
      ['P3-02', '330302', '大约', 11, '2019-11-15', null],
    ]);
    const res = await upload(server, 'targets', file, { token: await server.token('yanglao') });
    expect(res.status).toBe(409);
    expect(res.body.conflicts).toEqual([
      expect.objectContaining({ row: 2, code: 'CONFLICT' }),
      expect.objectContaining({ row: 3, column: '比较', code: 'BAD_USER_INPUT' }),
    ]);
    expect(await writtenRows(server)).toEqual(before);
  });
});

describe('every failure writes nothing', () => {
  const figures = (...rows: CellValue[][]) => csv([FIGURE_HEADER, ...rows]);
  const good: CellValue[] = ['P3-01', null, '330302', null, 7, '2019-06-30', null];

  const cases: [string, () => Promise<{ file: Buffer | string; token?: string; kind?: 'submissions' | 'targets' }>, number, unknown][] = [
    ['no token', async () => ({ file: figures(good) }), 401, { code: 'UNAUTHENTICATED' }],
    ['a bad token', async () => ({ file: figures(good), token: 'not-a-token' }), 401, { code: 'UNAUTHENTICATED' }],
    ['a viewer', async () => ({ file: figures(good), token: await server.token('screen') }), 403,
      { conflicts: [expect.objectContaining({ row: 2, code: 'FORBIDDEN' })] }],
    ['a region outside the reporter\'s scope, after a good row', async () => ({
      file: figures(good, ['P3-01', null, '330303', null, 3, '2019-06-30', null]), token: await server.token('lucheng'),
    }), 403, { counts: { rows: 2 }, conflicts: [expect.objectContaining({ row: 3, code: 'FORBIDDEN' })] }],
    ['targets from a reporter', async () => ({
      kind: 'targets', file: csv([['指标代码', '地区代码', '目标值'], ['P3-01', '330302', 5]]), token: await server.token('lucheng'),
    }), 403, { conflicts: [expect.objectContaining({ row: 2, code: 'FORBIDDEN' })] }],
    ['unknown codes', async () => ({
      file: figures(good, ['P9-99', null, '330302', null, 1, '2019-06-30', null], ['P3-01', null, '330399', null, 1, '2019-06-30', null]),
      token: await server.token('admin'),
    }), 409, { conflicts: [expect.objectContaining({ row: 3, code: 'NOT_FOUND' }), expect.objectContaining({ row: 4, code: 'NOT_FOUND' })] }],
    ['wrong types in an .xlsx', async () => ({
      file: await xlsx({
        header: [['指标代码', '地区代码', '数值', '截至日期']],
        rows: [
          ['P3-01', '330302', 'abc', '2019-06-30'],
          ['P3-01', '330303', 1, '2019-02-30'],
          ['P3-01', '330304', true, new Date(Date.UTC(2019, 5, 30))],
          ['P3-01', '330305', 2, 'yesterday'],
          ['P3-01', '330324', -1, '2019-06-30'],
          ['P3-01', '330326', 2.5, '2019-06-30'],
        ],
      }),
      token: await server.token('admin'),
    }), 409, {
      conflicts: [
        expect.objectContaining({ row: 2, column: '数值', code: 'BAD_USER_INPUT' }),
        expect.objectContaining({ row: 3, column: '截至日期', code: 'BAD_USER_INPUT' }),
        expect.objectContaining({ row: 4, column: '数值', code: 'BAD_USER_INPUT' }),
        expect.objectContaining({ row: 5, column: '截至日期', code: 'BAD_USER_INPUT' }),
        expect.objectContaining({ row: 6, column: '数值', code: 'BAD_USER_INPUT' }),
        expect.objectContaining({ row: 7, column: '数值', code: 'BAD_USER_INPUT' }),
      ],
    }],
    ['a date after today and a figure at the wrong level', async () => ({
      file: figures(['P3-01', null, '330302', null, 1, '2019-07-01', null], ['P3-01', null, '330302006', null, 1, '2019-06-30', null]),
      token: await server.token('admin'),
    }), 409, { conflicts: [expect.objectContaining({ row: 2, column: '截至日期' }), expect.objectContaining({ row: 3, column: '地区代码' })] }],
    ['a note longer than the mutation allows', async () => ({
      file: figures(['P3-01', null, '330302', null, 1, '2019-06-30', '长'.repeat(2_001)]), token: await server.token('lucheng'),
    }), 409, { conflicts: [expect.objectContaining({ row: 2, column: '备注', code: 'BAD_USER_INPUT' })] }],
    ['two rows giving two figures for one region and day', async () => ({
      file: figures(good, ['P3-01', null, '330302', null, 8, '2019-06-30', null]), token: await server.token('lucheng'),
    }), 409, { conflicts: [expect.objectContaining({ row: 3, code: 'CONFLICT' })] }],
    ['a file over 5 MiB', async () => ({ file: `${FIGURE_HEADER.join(',')}\n${'x'.repeat(5 * 1024 * 1024)}`, token: await server.token('admin') }), 413,
      { code: 'PAYLOAD_TOO_LARGE' }],
    ['an .xlsx that unpacks to more than 200 MiB (a zip bomb)', async () => {
      // A ZIP whose one entry says it unpacks to 4 GiB less a byte: the central directory is read before anything is unpacked.
      const name = Buffer.from('xl/worksheets/sheet1.xml');
      const local = Buffer.alloc(30); local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(name.length, 26);
      const central = Buffer.alloc(46); central.writeUInt32LE(0x02014b50, 0); central.writeUInt32LE(0xfffffffe, 24); central.writeUInt16LE(name.length, 28);
      const end = Buffer.alloc(22); end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
      end.writeUInt32LE(central.length + name.length, 12); end.writeUInt32LE(local.length + name.length, 16);
      return { file: Buffer.concat([local, name, central, name, end]), token: await server.token('admin') };
    }, 413, { code: 'PAYLOAD_TOO_LARGE' }],
    ['more than 5,000 rows', async () => ({
      file: figures(...Array.from({ length: 5_001 }, () => good)), token: await server.token('admin'),
    }), 409, { conflicts: [expect.objectContaining({ row: 5_002, code: 'BAD_USER_INPUT' })] }],
    ['a PNG', async () => ({ file: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), token: await server.token('admin') }), 415,
      { code: 'UNSUPPORTED_MEDIA_TYPE' }],
    ['a broken .xlsx', async () => ({ file: Buffer.concat([Buffer.from('504b0304', 'hex'), randomBytes(200)]), token: await server.token('admin') }), 415,
      { code: 'UNSUPPORTED_MEDIA_TYPE' }],
    ['an old .xls', async () => ({ file: Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), randomBytes(200)]), token: await server.token('admin') }), 415,
      { code: 'UNSUPPORTED_MEDIA_TYPE' }],
    ['a sheet without the 数值 column', async () => ({ file: csv([['指标代码', '地区代码', '截至日期'], ['P3-01', '330302', '2019-06-30']]), token: await server.token('admin') }),
      400, { code: 'BAD_USER_INPUT' }],
    ['a header and no rows', async () => ({ file: figures(), token: await server.token('admin') }), 409,
      { conflicts: [expect.objectContaining({ row: 1, code: 'BAD_USER_INPUT' })] }],
    ['an empty body', async () => ({ file: '', token: await server.token('admin') }), 400, { code: 'BAD_USER_INPUT' }],
  ];

  it.each(cases)('%s', async (_name, make, status, body) => {
    const { file, token, kind } = await make();
    const before = await writtenRows(server);
    const res = await upload(server, kind ?? 'submissions', file, { token });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ status: 'ERROR', ...(body as object) });
    if (res.body.conflicts) expect(res.body.written).toBe(false);
    expect(await writtenRows(server)).toEqual(before);
  });
});

describe('the duban-import command', () => {
  const run = (args: string[]) => new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, [join(__dirname, '..', 'dist', 'src', 'modules', 'spreadsheet', 'import-cli.js'), ...args], {
      env: { ...process.env, DATABASE_URL: server.config.databaseUrl, JWT_SECRET: randomBytes(32).toString('hex'), NODE_ENV: 'production', DUBAN_NOW: '2019-06-30' },
    }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }));
  });

  it('imports a file as a user, with a dry run first, and says what is wrong with a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duban-import-'));
    const good = join(dir, 'figures.xlsx');
    writeFileSync(good, await xlsx({ header: [['指标代码', '地区代码', '数值', '截至日期']], rows: [['P3-01', '330302', 13, '2019-06-30']] }));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, csv([['指标代码', '地区代码', '数值', '截至日期'], ['P3-01', '330303', 1, '2019-06-30']]));
    const before = await writtenRows(server);

    const dry = await run(['submissions', good, '--user', 'lucheng', '--dry-run']);
    expect(dry).toMatchObject({ code: 0, out: expect.stringContaining('SUCCESS (dry run): 1 rows') });
    expect(await writtenRows(server)).toEqual(before);

    const refused = await run(['submissions', bad, '--user', 'lucheng']);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/row 2: FORBIDDEN/);
    expect(await writtenRows(server)).toEqual(before);

    const done = await run(['submissions', good, '--user', 'lucheng']);
    expect(done).toMatchObject({ code: 0, out: expect.stringContaining('written') });
    expect((await writtenRows(server)).submission).toBe(before.submission + 1);
    expect(await actual('P3-01', '330302')).toBe(13);

    expect((await run(['figures', good, '--user', 'lucheng'])).code).toBe(2);
  });
});
