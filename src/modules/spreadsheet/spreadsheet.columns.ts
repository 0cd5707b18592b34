import { FIRST_YEAR, LAST_YEAR } from '../../common/scalars';
import { isIsoDate } from '../../config';
import { Comparator } from '../target/target.entity';
import { Interpolation } from '../trajectory/trajectory.entity';

/** What a file imports: figures (submitFigure), targets (setTarget) or targets' trajectories (setTrajectory). */
export type ImportKind = 'submissions' | 'targets' | 'trajectories';
export const IMPORT_KINDS: readonly ImportKind[] = ['submissions', 'targets', 'trajectories'];

export type SubmissionColumn = 'indicator' | 'region' | 'value' | 'asOf' | 'numerator' | 'denominator' | 'note';
export type TargetColumn = 'indicator' | 'region' | 'comparator' | 'value' | 'min' | 'max' | 'deadline' | 'note' | 'expectedVersion';
/** A trajectory's sheet: a row per milestone (节点), the rows of one target making its plan. */
export type TrajectoryColumn = 'indicator' | 'region' | 'deadline' | 'interpolation' | 'startsOn' | 'on' | 'value' | 'note' | 'expectedVersion';
export type Column = SubmissionColumn | TargetColumn | TrajectoryColumn;

/** A cell as read from either format: what the file holds, before it is checked. */
export interface Cell {
  value: string | number | boolean | Date | null;
  /** The cell is shown as a percentage (Excel stores 43.6% as 0.436). */
  percent?: boolean;
  /** The cell is part of a merged range (its value is the range's). */
  merged?: boolean;
}

/**
 * The headers each column is known by, normalised (see `normaliseHeader`): the Chinese a bureau's
 * sheet uses, and the API's own names. Columns not listed (名称, 单位 …) are read past.
 */
const COMMON: Record<'indicator' | 'region' | 'note', string[]> = {
  indicator: ['指标代码', '指标编码', '指标编号', 'indicator', 'indicatorcode'],
  region: ['地区代码', '区划代码', '行政区划代码', '地区编码', 'region', 'regioncode'],
  note: ['备注', '说明', 'note'],
};

export const HEADERS: { submissions: Record<SubmissionColumn, string[]>; targets: Record<TargetColumn, string[]>; trajectories: Record<TrajectoryColumn, string[]> } = {
  submissions: {
    ...COMMON,
    value: ['数值', '数据', '完成值', '实际值', '实际完成', 'value'],
    asOf: ['截至日期', '统计日期', '日期', 'asof'],
    numerator: ['分子', 'numerator'],
    denominator: ['分母', 'denominator'],
  },
  targets: {
    ...COMMON,
    comparator: ['比较', '比较符', '要求', 'comparator'],
    value: ['目标值', '目标', '数值', 'value'],
    min: ['下限', '最小值', 'min'],
    max: ['上限', '最大值', 'max'],
    deadline: ['截止日期', '完成时限', '期限', 'deadline'],
    expectedVersion: ['版本', 'version', 'expectedversion'],
  },
  trajectories: {
    ...COMMON,
    deadline: ['截止日期', '完成时限', '期限', 'deadline'],
    interpolation: ['方式', '推进方式', '插值', 'interpolation'],
    startsOn: ['起始日期', '开始日期', 'startson'],
    on: ['节点日期', '计划日期', '时间节点', '节点', 'on'],
    value: ['计划值', '节点目标', '节点值', '计划完成', 'value'],
    expectedVersion: ['版本', 'version', 'expectedversion'],
  },
};

export const REQUIRED: { submissions: SubmissionColumn[]; targets: TargetColumn[]; trajectories: TrajectoryColumn[] } = {
  submissions: ['indicator', 'region', 'value', 'asOf'],
  targets: ['indicator', 'region'],
  trajectories: ['indicator', 'region', 'on'],
};

/** 数值（个）, " Value ", "*指标代码" and "as_of" read as 数值, value, 指标代码 and asof. */
export function normaliseHeader(text: string): string {
  return text.normalize('NFKC').replace(/[（(].*$/s, '').replace(/[\s*_\-:：]/g, '').toLowerCase();
}

/** The column a header names, for this kind of file. */
export function columnOf(kind: ImportKind, header: string): Column | undefined {
  const h = normaliseHeader(header);
  if (!h) return undefined;
  const table = HEADERS[kind] as Record<Column, string[]>;
  return (Object.keys(table) as Column[]).find((column) => table[column].includes(h));
}

/** A cell's text, trimmed; '' for an empty cell. */
export function cellText(cell: Cell | undefined): string {
  const v = cell?.value;
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v).trim();
}

export function isBlank(cell: Cell | undefined): boolean {
  return cellText(cell) === '';
}

/** Thrown for a cell that cannot be what its column needs; the import turns it into a conflict. */
export class CellError extends Error {}

/** A code (indicator or region): text, or a whole number typed into a cell (330302). */
export function readCode(cell: Cell | undefined, label: string): string {
  const v = cell?.value;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new CellError(`${label} ${v} is not a code`);
    return String(v);
  }
  if (typeof v === 'boolean' || v instanceof Date) throw new CellError(`${label} ${cellText(cell)} is not a code`);
  const text = cellText(cell).normalize('NFKC');
  if (!text) throw new CellError(`${label} is empty`);
  if (text.length > 50) throw new CellError(`${label} is longer than 50 characters`);
  return text;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * A number: a numeric cell (a percentage cell as its percent: 0.436 shown as 43.6% reads 43.6), or
 * text such as "1,234", "１２" or "43.6%". Anything else is a CellError naming the column.
 */
export function readNumber(cell: Cell | undefined, label: string): number {
  const v = cell?.value;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CellError(`${label} is not a finite number`);
    return cell?.percent ? Number((v * 100).toPrecision(12)) : v;
  }
  if (typeof v === 'boolean' || v instanceof Date) throw new CellError(`${label} "${cellText(cell)}" is not a number`);
  const text = cellText(cell).normalize('NFKC').replace(/[,，\s]/g, '').replace(/%$/, '');
  if (!NUMBER.test(text)) throw new CellError(`${label} "${cellText(cell)}" is not a number`);
  const n = Number(text);
  if (!Number.isFinite(n)) throw new CellError(`${label} "${cellText(cell)}" is not a finite number`);
  return n;
}

export function readInteger(cell: Cell | undefined, label: string): number {
  const n = readNumber(cell, label);
  if (!Number.isInteger(n)) throw new CellError(`${label} "${cellText(cell)}" is not a whole number`);
  return n;
}

/** Days from Excel's day 0 (1899-12-30, counting its 1900 leap day) to 1970-01-01. */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DATE_TEXT = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/;

/** A day as YYYY-MM-DD: a date cell, an Excel serial day, or 2019-06-30, 2019/6/30, 2019年6月30日. */
export function readDate(cell: Cell | undefined, label: string): string {
  const v = cell?.value;
  let day: string | undefined;
  if (v instanceof Date) day = Number.isNaN(v.getTime()) ? undefined : v.toISOString().slice(0, 10);
  else if (typeof v === 'number') {
    day = Number.isInteger(v) && v > 0 && v < 2_958_466 ? new Date(EXCEL_EPOCH_MS + v * 86_400_000).toISOString().slice(0, 10) : undefined;
  } else if (typeof v === 'string') {
    const m = DATE_TEXT.exec(v.normalize('NFKC').trim());
    if (m) day = `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}`;
  }
  if (!day || !isIsoDate(day)) throw new CellError(`${label} "${cellText(cell)}" is not a date (YYYY-MM-DD)`);
  if (Number(day.slice(0, 4)) < FIRST_YEAR) throw new CellError(`${label} ${day} is outside the years ${FIRST_YEAR} to ${LAST_YEAR}`);
  return day;
}

const COMPARATORS: [RegExp, Comparator][] = [
  [/^(gte|≥|>=|不低于|不少于|至少|以上)$/i, Comparator.GTE],
  [/^(lte|≤|<=|不高于|不超过|至多|以下)$/i, Comparator.LTE],
  [/^(eq|=|==|等于)$/i, Comparator.EQ],
  [/^(range|区间|范围)$/i, Comparator.RANGE],
];

/** GTE, LTE, EQ or RANGE, written as the enum, a sign (≥ ≤ =) or in words (不低于 不高于 等于 区间). */
export function readComparator(cell: Cell | undefined, label: string): Comparator {
  const text = cellText(cell).normalize('NFKC').replace(/\s/g, '');
  const found = COMPARATORS.find(([pattern]) => pattern.test(text));
  if (!found) throw new CellError(`${label} "${cellText(cell)}" is not one of GTE (≥, 不低于), LTE (≤, 不高于), EQ (=), RANGE (区间)`);
  return found[1];
}

/** STEP or LINEAR, as the enum or in words (阶梯 / 分段, 线性 / 匀速). */
export function readInterpolation(cell: Cell | undefined, label: string): Interpolation {
  const text = cellText(cell).normalize('NFKC').replace(/\s/g, '');
  if (/^(step|阶梯|台阶|分段)$/i.test(text)) return Interpolation.STEP;
  if (/^(linear|线性|匀速|直线)$/i.test(text)) return Interpolation.LINEAR;
  throw new CellError(`${label} "${cellText(cell)}" is not STEP (阶梯) or LINEAR (线性)`);
}
