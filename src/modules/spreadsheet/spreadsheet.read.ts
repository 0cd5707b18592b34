import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { columnOf, isBlank, REQUIRED, cellText, type Cell, type Column, type ImportKind } from './spreadsheet.columns';

/** A file that is not a spreadsheet Duban reads (.xlsx or .csv): HTTP 415. */
export class NotASpreadsheetError extends Error {}

/** A workbook that unpacks to more than an import reads: HTTP 413. */
export class SheetTooLargeError extends Error {}

/** A spreadsheet without what an import needs (a header row, a required column, any row): HTTP 400. */
export class SheetShapeError extends Error {}

/** A row of a sheet as the file numbers it (row 1 is the first line). */
export interface GridRow {
  row: number;
  cells: Cell[];
}

/** A data row, its cells by column. */
export interface SheetRow {
  row: number;
  cells: Partial<Record<Column, Cell>>;
}

export interface Sheet {
  format: 'xlsx' | 'csv';
  /** The worksheet read (xlsx). */
  name?: string;
  /** The header row's number, and the header of each column as the file writes it. */
  headerRow: number;
  headers: Partial<Record<Column, string>>;
  rows: SheetRow[];
}

export type SpreadsheetFormat = 'xlsx' | 'csv';

/** The format of a file from its first bytes: a ZIP (.xlsx), or text (.csv); undefined for neither. */
export function detectFormat(data: Buffer): SpreadsheetFormat | undefined {
  if (data.length >= 4 && data.readUInt32LE(0) === 0x04034b50) return 'xlsx';
  const head = data.subarray(0, 4096);
  // Binary files (an old .xls, a PDF, an image) hold NUL bytes or control characters; text does not.
  for (const byte of head) if (byte === 0 || (byte < 0x09) || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) return undefined;
  return 'csv';
}

/** Text of a CSV: UTF-8 (with or without BOM), or GB18030, as Excel on a Chinese Windows saves it. */
function decodeText(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    try {
      return new TextDecoder('gb18030', { fatal: true }).decode(data);
    } catch {
      throw new NotASpreadsheetError('The file is neither UTF-8 nor GB18030 text, nor an .xlsx workbook');
    }
  }
}

function readCsv(data: Buffer): GridRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(decodeText(data), { relax_column_count: true, skip_empty_lines: false, bom: true, info: true, trim: true }) as unknown as typeof records;
  } catch (error) {
    throw new NotASpreadsheetError(`The file is not CSV: ${(error as Error).message.split('\n')[0]}`);
  }
  // info.lines is where a record ends; a quoted field with line breaks starts it that many lines earlier.
  return records.map(({ record, info }) => ({
    row: info.lines - record.reduce((breaks, field) => breaks + (field.match(/\n/g)?.length ?? 0), 0),
    cells: record.map((value) => ({ value: value === '' ? null : value })),
  }));
}

/** A cell's value as plain data: rich text as its text, a formula as its result, a link as its text. */
function plain(value: ExcelJS.CellValue): Cell['value'] {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as ExcelJS.CellFormulaValue).result;
    return result === undefined || (typeof result === 'object' && !(result instanceof Date)) ? null : result;
  }
  if ('text' in value) return typeof value.text === 'string' ? value.text : plain(value.text as ExcelJS.CellValue);
  if ('error' in value) return null;
  return null;
}

/** What an .xlsx may unpack to: a 5 MiB file of 5,000 rows unpacks to a few; a zip bomb to gigabytes. */
export const MAX_UNPACKED_BYTES = 200 * 1024 * 1024;

/**
 * The sum of the sizes a ZIP's entries unpack to, from its central directory; undefined when the
 * directory cannot be read (exceljs then says what is wrong), Infinity for ZIP64 sizes.
 */
export function unpackedSize(zip: Buffer): number | undefined {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0 || end + 22 > zip.length) return undefined;
  const entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  let total = 0;
  for (let i = 0; i < entries; i += 1) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) return undefined;
    const size = zip.readUInt32LE(at + 24);
    if (size === 0xffffffff) return Infinity;
    total += size;
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return total;
}

async function readXlsx(data: Buffer, kind: ImportKind): Promise<{ name: string; grid: GridRow[] }> {
  const unpacked = unpackedSize(data);
  if (unpacked !== undefined && unpacked > MAX_UNPACKED_BYTES) {
    throw new SheetTooLargeError(`The workbook unpacks to more than ${MAX_UNPACKED_BYTES} bytes; split it`);
  }
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw new NotASpreadsheetError(`The file is not an .xlsx workbook: ${(error as Error).message.split('\n')[0]}`);
  }
  const grids = workbook.worksheets.map((sheet) => {
    const grid: GridRow[] = [];
    sheet.eachRow({ includeEmpty: false }, (row, number) => {
      const cells: Cell[] = [];
      for (let c = 1; c <= row.cellCount; c += 1) {
        const cell = row.getCell(c);
        cells.push({ value: plain(cell.value), percent: typeof cell.numFmt === 'string' && cell.numFmt.includes('%'), merged: cell.isMerged });
      }
      grid.push({ row: number, cells });
    });
    return { name: sheet.name, grid };
  });
  if (grids.length === 0) throw new SheetShapeError('The workbook has no worksheet');
  // The first worksheet with a header row this import knows; else the first, to say what is missing.
  return grids.find(({ grid }) => findHeader(grid, kind).score >= REQUIRED[kind].length) ?? grids[0];
}

/** How many rows from the top a header row may sit under titles. */
const HEADER_SEARCH_ROWS = 10;

/**
 * The header row: of the first rows, the one naming the most known columns. A header under a
 * merged group cell ("指标" over "代码 | 名称") reads as the two joined ("指标代码").
 */
function findHeader(grid: GridRow[], kind: ImportKind): { index: number; score: number; headers: Partial<Record<Column, string>>; positions: Partial<Record<Column, number>> } {
  let best = { index: -1, score: 0, headers: {} as Partial<Record<Column, string>>, positions: {} as Partial<Record<Column, number>> };
  grid.slice(0, HEADER_SEARCH_ROWS).forEach((candidate, index) => {
    const above = index > 0 && grid[index - 1].row === candidate.row - 1 ? grid[index - 1] : undefined;
    const headers: Partial<Record<Column, string>> = {};
    const positions: Partial<Record<Column, number>> = {};
    candidate.cells.forEach((cell, c) => {
      const own = cellText(cell);
      const group = above?.cells[c]?.merged ? cellText(above.cells[c]) : '';
      for (const label of [own, group && group !== own ? `${group}${own}` : '']) {
        const column = label ? columnOf(kind, label) : undefined;
        // A header merged over two columns names the first; the first header of a column wins.
        if (column && positions[column] === undefined) {
          headers[column] = label;
          positions[column] = c;
          break;
        }
      }
    });
    const score = Object.keys(positions).length;
    if (score > best.score) best = { index, score, headers, positions };
  });
  return best;
}

/** The data rows of a file, each cell under its column, blank rows left out. */
export async function readSheet(data: Buffer, kind: ImportKind): Promise<Sheet> {
  const format = detectFormat(data);
  if (!format) throw new NotASpreadsheetError('The file is not a spreadsheet: send .xlsx or .csv (an .xls or binary file is not read)');
  const { name, grid } = format === 'xlsx' ? await readXlsx(data, kind) : { name: undefined, grid: readCsv(data) };
  const header = findHeader(grid, kind);
  if (header.index < 0) throw new SheetShapeError('No header row: the first rows name none of the columns (指标代码, 地区代码 …)');
  const missing = REQUIRED[kind].filter((column) => header.positions[column] === undefined);
  if (missing.length) {
    throw new SheetShapeError(`Row ${grid[header.index].row} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }
  const columns = Object.entries(header.positions) as [Column, number][];
  const rows: SheetRow[] = [];
  for (const { row, cells } of grid.slice(header.index + 1)) {
    const mapped: Partial<Record<Column, Cell>> = {};
    for (const [column, c] of columns) if (!isBlank(cells[c])) mapped[column] = cells[c];
    if (Object.keys(mapped).length > 0) rows.push({ row, cells: mapped });
  }
  return { format, name, headerRow: grid[header.index].row, headers: header.headers, rows };
}
