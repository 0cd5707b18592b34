import ExcelJS from 'exceljs';

/** The board as the export reads it through the API: the contract's Board query, less the live parts. */
export const BOARD_EXPORT_QUERY = `query BoardExport($programme: String!, $region: String!, $asOf: Date) {
  programme(code: $programme) {
    code
    name
    indicators {
      code name unit
      progress(region: $region, asOf: $asOf) {
        region { code name }
        actual completion expectedByNow status reportedCount expectedCount
        target { value min max comparator deadline }
        children {
          region { code name }
          actual completion status
          target { value min max comparator deadline }
        }
      }
    }
  }
}`;

interface ExportTarget { value: number | null; min: number | null; max: number | null; comparator: string; deadline: string | null }
interface ExportProgress {
  region: { code: string; name: string };
  actual: number | null;
  completion: number | null;
  status: string;
  target: ExportTarget | null;
}

export interface BoardExportData {
  programme: {
    code: string;
    name: string;
    indicators: {
      code: string;
      name: string;
      unit: string | null;
      progress: ExportProgress & { expectedByNow: number | null; reportedCount: number; expectedCount: number; children: ExportProgress[] };
    }[];
  };
}

export const STATUS_LABELS: Record<string, string> = {
  NO_TARGET: '无目标', NOT_STARTED: '未开始', ON_TRACK: '正常', AT_RISK: '有风险', BEHIND: '滞后', ACHIEVED: '已完成', OVERDUE: '逾期',
};
const STATUS_COLOURS: Record<string, string> = {
  NO_TARGET: 'FFEEEEEE', NOT_STARTED: 'FFDDDDDD', ON_TRACK: 'FFC6EFCE', AT_RISK: 'FFFFEB9C', BEHIND: 'FFFFC7CE', ACHIEVED: 'FF9BD8A0', OVERDUE: 'FFE06666',
};
const COMPARATOR_SIGNS: Record<string, string> = { GTE: '≥', LTE: '≤', EQ: '=', RANGE: '区间' };

/** Columns the two sheets share; 目标值 and 比较 as the targets import reads them. */
function targetCells(t: ExportTarget | null): (string | number | null)[] {
  if (!t) return [null, null, null];
  return [COMPARATOR_SIGNS[t.comparator] ?? t.comparator, t.comparator === 'RANGE' ? `${t.min}–${t.max}` : t.value, t.deadline];
}

function statusCell(cell: ExcelJS.Cell, status: string): void {
  cell.value = STATUS_LABELS[status] ?? status;
  cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: STATUS_COLOURS[status] ?? 'FFFFFFFF' } };
}

function headerRow(sheet: ExcelJS.Worksheet, labels: string[]): void {
  const row = sheet.addRow(labels);
  row.font = { bold: true };
  row.eachCell((cell) => { cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } }; });
  sheet.views = [{ state: 'frozen', ySplit: row.number }];
}

/**
 * A workbook of one board: 看板 has a row per indicator (figure, target, completion, status);
 * 分地区 a row per indicator and child region. Completion is a number shown as a percentage.
 */
export async function boardWorkbook(data: BoardExportData, asOf: string): Promise<Buffer> {
  const { programme } = data;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Duban';
  const region = programme.indicators[0]?.progress.region ?? { code: '', name: '' };

  const board = workbook.addWorksheet('看板');
  board.addRow([`${programme.code} ${programme.name} · ${region.name}（${region.code}）· 截至 ${asOf}`]);
  board.mergeCells(1, 1, 1, 11);
  board.getRow(1).font = { bold: true, size: 14 };
  headerRow(board, ['指标代码', '指标名称', '单位', '实际', '比较', '目标值', '截止日期', '完成率', '应达进度', '状态', '已报/应报']);
  for (const ind of programme.indicators) {
    const p = ind.progress;
    const row = board.addRow([ind.code, ind.name, ind.unit, p.actual, ...targetCells(p.target), p.completion, p.expectedByNow, null, `${p.reportedCount}/${p.expectedCount}`]);
    row.getCell(8).numFmt = '0.0%';
    row.getCell(9).numFmt = '0.0%';
    statusCell(row.getCell(10), p.status);
  }
  board.columns.forEach((column, i) => { column.width = [10, 36, 6, 12, 6, 12, 12, 9, 9, 8, 10][i]; });

  const children = workbook.addWorksheet('分地区');
  headerRow(children, ['指标代码', '指标名称', '地区代码', '地区名称', '实际', '比较', '目标值', '截止日期', '完成率', '状态']);
  for (const ind of programme.indicators) {
    for (const c of ind.progress.children) {
      const row = children.addRow([ind.code, ind.name, c.region.code, c.region.name, c.actual, ...targetCells(c.target), c.completion, null]);
      row.getCell(9).numFmt = '0.0%';
      statusCell(row.getCell(10), c.status);
    }
  }
  children.columns.forEach((column, i) => { column.width = [10, 36, 12, 14, 12, 6, 12, 12, 9, 8][i]; });

  return Buffer.from(await workbook.xlsx.writeBuffer());
}
