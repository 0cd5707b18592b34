import ExcelJS from 'exceljs';
import type { TestServer } from './test-server';

export type CellValue = string | number | boolean | Date | null;

export interface WorkbookOptions {
  /** A title over the header, merged across every column. */
  title?: string;
  /** Header cells as written; a two-row header is given as [groupRow, headerRow] with merges. */
  header: CellValue[][];
  /** Ranges to merge, e.g. 'A2:B2'. */
  merges?: string[];
  rows: CellValue[][];
  /** Number formats by column letter, e.g. { D: '0.0%' }. */
  formats?: Record<string, string>;
  sheetName?: string;
}

/** An .xlsx file made with exceljs, as a bureau's sheet would be. */
export async function xlsx(options: WorkbookOptions): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(options.sheetName ?? '数据');
  const width = Math.max(...options.header.map((r) => r.length));
  if (options.title) {
    sheet.addRow([options.title]);
    sheet.mergeCells(1, 1, 1, width);
  }
  for (const row of options.header) sheet.addRow(row);
  for (const range of options.merges ?? []) sheet.mergeCells(range);
  for (const row of options.rows) {
    const added = sheet.addRow(row);
    for (const [column, format] of Object.entries(options.formats ?? {})) added.getCell(column).numFmt = format;
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A CSV file: fields quoted where needed, lines joined with CRLF as Excel writes them. */
export function csv(rows: CellValue[][], options: { bom?: boolean } = {}): string {
  const field = (v: CellValue) => {
    const text = v === null ? '' : v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return `${options.bom ? '\ufeff' : ''}${rows.map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}

export interface ImportConflictJson { row: number; column?: string; code: string; reason: string }
export interface ImportResponse {
  status: number;
  body: {
    status: 'SUCCESS' | 'ERROR';
    written?: boolean;
    dryRun?: boolean;
    code?: string;
    message?: string;
    counts?: { rows: number; imported: number; updated: number; ignored: number };
    conflicts?: ImportConflictJson[];
  };
}

/** POSTs a file to /import/<kind>, as a client would. */
export async function upload(server: TestServer, kind: 'submissions' | 'targets' | 'trajectories', file: Buffer | string, options: { token?: string; dryRun?: boolean; contentType?: string } = {}): Promise<ImportResponse> {
  const origin = server.url.replace(/\/graphql$/, '');
  const res = await fetch(`${origin}/import/${kind}${options.dryRun ? '?dryRun=true' : ''}`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/octet-stream',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: typeof file === 'string' ? file : new Uint8Array(file),
  });
  return { status: res.status, body: (await res.json()) as ImportResponse['body'] };
}

/** The rows that a failed import must leave as they were. */
export async function writtenRows(server: TestServer): Promise<Record<string, number>> {
  // The projector's events for what was written are part of what was written.
  await server.projected();
  return {
    submission: await server.count('submission'),
    target: await server.count('target'),
    outbox_event: await server.count('outbox_event'),
  };
}

/** A worksheet's rows as plain values, by row number. */
export function sheetRows(sheet: ExcelJS.Worksheet): Map<number, unknown[]> {
  const rows = new Map<number, unknown[]>();
  sheet.eachRow((row, n) => { rows.set(n, (row.values as unknown[]).slice(1)); });
  return rows;
}
