import { importSheet } from '../../src/modules/spreadsheet/spreadsheet.import';
import type { Sheet } from '../../src/modules/spreadsheet/spreadsheet.read';
import { User } from '../../src/modules/user/user.entity';
import { csv, upload, xlsx, type CellValue, type ImportResponse } from '../helpers/spreadsheet';
import type { TestServer } from '../helpers/test-server';
import { hostile, hostileRows, http, LONE, useHostileServer, type Row } from './hostile';
import { createUnitOfWork } from '../../src/server/context';

/**
 * Hostile rows in a spreadsheet import, and hostile days in the board export: each row of a file
 * is refused as the mutation would refuse it (BAD_USER_INPUT naming its column), the file writes
 * nothing (409), and no request gets a 500.
 */

useHostileServer();
let server: TestServer;
const { tokens } = hostile;
beforeAll(() => { server = hostile.server; });

const FIGURES = ['指标代码', '地区代码', '数值', '截至日期', '备注'];
const TARGETS = ['指标代码', '地区代码', '比较', '目标值', '截止日期'];

/** Imports a file as yanglao (P3's department) and expects it refused whole, with one BAD_USER_INPUT on `column`. */
async function expectRefused(kind: 'submissions' | 'targets', file: Buffer | string, column: string, reason: RegExp): Promise<ImportResponse> {
  const res = await upload(server, kind, file, { token: tokens.yanglao });
  expect(res.status).toBe(409);
  expect(res.body).toMatchObject({ status: 'ERROR', written: false });
  expect(res.body.conflicts).toEqual([{ row: 2, column, code: 'BAD_USER_INPUT', reason: expect.stringMatching(reason) }]);
  return res;
}

const figureRow = (value: CellValue, asOf: CellValue = '2019-06-30', note: CellValue = null) => [FIGURES, ['P3-01', '330302', value, asOf, note]];

const rows: Row[] = [
  ...['1e20', '1e308', '100000000000000000000', '-1e20'].map((value): Row => [`a CSV figure of ${value} is BAD_USER_INPUT on 数值, with the bound`, async () => {
    await expectRefused('submissions', csv(figureRow(value)), '数值', /out of range: a figure is at most 9999999999999999\.9999 either way/);
  }]),
  ...[1e20, 1e308].map((value): Row => [`an xlsx figure of ${value} (a number cell) is BAD_USER_INPUT on 数值`, async () => {
    await expectRefused('submissions', await xlsx({ header: [FIGURES], rows: [figureRow(value)[1]] }), '数值', /out of range/);
  }]),
  ...['1e20', '1e308'].map((value): Row => [`a CSV target of ${value} is BAD_USER_INPUT on 目标值`, async () => {
    await expectRefused('targets', csv([TARGETS, ['P3-01', '330302', '≥', value, '2019-12-31']]), '目标值', /out of range/);
  }]),
  ...['5e-324', '1.0000000000000002', '0.5'].map((value): Row => [`a CSV figure of ${value} on a whole-number COUNT is BAD_USER_INPUT on 数值`, async () => {
    await expectRefused('submissions', csv(figureRow(value)), '数值', /must be a whole number/);
  }]),
  ['a CSV asOf of 0000-01-01 is BAD_USER_INPUT on 截至日期', async () => {
    await expectRefused('submissions', csv(figureRow(4, '0000-01-01')), '截至日期', /0000-01-01/);
  }],
  ['a CSV deadline of 0000-01-01 is BAD_USER_INPUT on 截止日期', async () => {
    await expectRefused('targets', csv([TARGETS, ['P3-01', '330302', '≥', 10, '0000-01-01']]), '截止日期', /0000-01-01/);
  }],
  ['a row with a lone surrogate in its note (an xlsx\'s &#xD800; reads as one) is BAD_USER_INPUT on 备注, nothing written', async () => {
    const user = await server.orm.em.fork().findOneOrFail(User, { username: 'yanglao' }, { populate: ['region', 'department'] });
    const sheet: Sheet = {
      format: 'xlsx', headerRow: 1,
      headers: { indicator: '指标代码', region: '地区代码', value: '数值', asOf: '截至日期', note: '备注' },
      rows: [{ row: 2, cells: { indicator: { value: 'P3-01' }, region: { value: '330302' }, value: { value: 4 }, asOf: { value: '2019-06-30' }, note: { value: LONE } } }],
    };
    const summary = await importSheet(createUnitOfWork(server.services, server.orm.em.fork()), user, 'submissions', sheet, { dryRun: false, maxRows: 10 });
    expect(summary).toMatchObject({ status: 'ERROR', written: false });
    expect(summary.conflicts).toEqual([{ row: 2, column: '备注', code: 'BAD_USER_INPUT', reason: expect.stringMatching(/^备注: Text cannot contain a lone surrogate/) }]);
  }],
  ['the board export asOf 0000-01-01 is 400 BAD_USER_INPUT naming asOf, not a 500', async () => {
    const res = await http({ method: 'GET', path: '/export/board.xlsx', search: '?programme=P3&region=330300&asOf=0000-01-01', token: tokens.screen });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ status: 'ERROR', code: 'BAD_USER_INPUT', field: 'asOf', message: expect.stringMatching(/0000-01-01 is outside the years 1 to 9999/) });
  }],
  ['the board export asOf 2019-02-30 (no such day) is 400 BAD_USER_INPUT naming asOf', async () => {
    const res = await http({ method: 'GET', path: '/export/board.xlsx', search: '?programme=P3&region=330300&asOf=2019-02-30', token: tokens.screen });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'asOf' });
  }],
  ['the board export with a programme given twice (an array) is 400 BAD_USER_INPUT', async () => {
    const res = await http({ method: 'GET', path: '/export/board.xlsx', search: '?programme=P3&programme=P4&region=330300', token: tokens.screen });
    expect(res.status).toBe(400);
  }],
];

hostileRows('hostile spreadsheet rows and export days change nothing and break nothing', rows, { atLeast: 15 });
