import { validateSync } from 'class-validator';
import { AppError } from '../../server/errors';
import { textProblem } from '../../server/input-guard';
import { SubmitFigureInput } from '../submission/submission.input';
import { writeFigures, type FigureOutcome } from '../submission/submission.bulk';
import { Comparator, Target } from '../target/target.entity';
import { SetTargetInput } from '../target/target.input';
import { setTarget } from '../target/target.service';
import type { User } from '../user/user.entity';
import type { UnitOfWork } from '../events/unit-of-work';
import {
  CellError, readCode, readComparator, readDate, readInteger, readNumber, cellText,
  type Cell, type Column, type ImportKind,
} from './spreadsheet.columns';
import type { Sheet, SheetRow } from './spreadsheet.read';

/** One row that cannot be imported, and why; `row` as the file numbers it. */
export interface ImportConflict {
  row: number;
  /** The column at fault, as the file's header writes it. */
  column?: string;
  /** BAD_USER_INPUT, NOT_FOUND, FORBIDDEN or CONFLICT, as the GraphQL mutation would answer. */
  code: string;
  reason: string;
}

/**
 * What an import did, in the manner of DHIS2's import summary. SUCCESS: every row was written (or,
 * in a dry run, would be). ERROR: nothing was written; `conflicts` says which rows and why, and the
 * counts say what the file would do once they are fixed.
 */
export interface ImportSummary {
  status: 'SUCCESS' | 'ERROR';
  kind: ImportKind;
  dryRun: boolean;
  /** Whether the rows are in the database now. */
  written: boolean;
  counts: {
    /** Data rows read (blank rows not counted). */
    rows: number;
    /** New submissions; new targets. */
    imported: number;
    /** Submissions that replace a figure of the same region and day (the earlier one stays in the history); targets changed. */
    updated: number;
    /** Rows that change nothing: the same figure or target already there (a file imported again), or a row repeated in the file. */
    ignored: number;
  };
  conflicts: ImportConflict[];
}

export interface ImportOptions {
  dryRun: boolean;
  /** At most this many data rows in one file. */
  maxRows: number;
}

type Outcome = 'imported' | 'updated' | 'ignored';

/** A row made into the mutation's input, or the cell errors that stop it. */
type Parsed<T> = { row: number; input: T; key: string } | { row: number; conflicts: ImportConflict[] };

function parseRow<T>(sheet: Sheet, row: SheetRow, build: (get: <V>(column: Column, read: (cell: Cell | undefined, label: string) => V) => V | undefined) => T): Parsed<T> {
  const conflicts: ImportConflict[] = [];
  const get = <V>(column: Column, read: (cell: Cell | undefined, label: string) => V): V | undefined => {
    const cell = row.cells[column];
    if (cell === undefined) return undefined;
    // The same rule as for every GraphQL input: text the database cannot store as sent is refused.
    const problem = typeof cell.value === 'string' ? textProblem(cell.value) : undefined;
    if (problem) {
      conflicts.push({ row: row.row, column: sheet.headers[column], code: 'BAD_USER_INPUT', reason: `${sheet.headers[column] ?? column}: ${problem}` });
      return undefined;
    }
    try {
      return read(cell, sheet.headers[column] ?? column);
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      conflicts.push({ row: row.row, column: sheet.headers[column], code: 'BAD_USER_INPUT', reason: error.message });
      return undefined;
    }
  };
  const input = build(get);
  return conflicts.length ? { row: row.row, conflicts } : { row: row.row, input, key: '' };
}

const text = (cell: Cell | undefined) => cellText(cell);

function required<V>(value: V | undefined, row: SheetRow, sheet: Sheet, column: Column, conflicts: ImportConflict[]): V {
  if (value === undefined && row.cells[column] === undefined) {
    conflicts.push({ row: row.row, column: sheet.headers[column], code: 'BAD_USER_INPUT', reason: `${sheet.headers[column] ?? column} is empty` });
  }
  return value as V;
}

function parseSubmission(sheet: Sheet, row: SheetRow): Parsed<SubmitFigureInput> {
  const missing: ImportConflict[] = [];
  const parsed = parseRow(sheet, row, (get) => ({
    indicator: required(get('indicator', readCode), row, sheet, 'indicator', missing),
    region: required(get('region', readCode), row, sheet, 'region', missing),
    value: required(get('value', readNumber), row, sheet, 'value', missing),
    asOf: required(get('asOf', readDate), row, sheet, 'asOf', missing),
    numerator: get('numerator', readNumber),
    denominator: get('denominator', readNumber),
    note: get('note', text),
  }));
  return withMissing(parsed, missing, (input) => `${input.indicator}|${input.region}|${input.asOf}`);
}

function parseTarget(sheet: Sheet, row: SheetRow): Parsed<SetTargetInput> {
  const missing: ImportConflict[] = [];
  const parsed = parseRow(sheet, row, (get) => {
    const min = get('min', readNumber);
    const max = get('max', readNumber);
    // Without a comparator column, a row with min or max is a RANGE and one with a value is at least it.
    const comparator = get('comparator', readComparator) ?? (row.cells.comparator === undefined ? (min != null || max != null ? Comparator.RANGE : Comparator.GTE) : undefined);
    return {
      indicator: required(get('indicator', readCode), row, sheet, 'indicator', missing),
      region: required(get('region', readCode), row, sheet, 'region', missing),
      comparator: comparator as Comparator,
      value: get('value', readNumber), min, max,
      deadline: get('deadline', readDate),
      note: get('note', text),
      expectedVersion: get('expectedVersion', readInteger),
    };
  });
  return withMissing(parsed, missing, (input) => `${input.indicator}|${input.region}|${input.deadline ?? ''}`);
}

function withMissing<T>(parsed: Parsed<T>, missing: ImportConflict[], keyOf: (input: T) => string): Parsed<T> {
  if ('conflicts' in parsed) return { row: parsed.row, conflicts: [...missing, ...parsed.conflicts] };
  if (missing.length) return { row: parsed.row, conflicts: missing };
  return { ...parsed, key: keyOf(parsed.input) };
}

/** The input classes' own rules (a note's length …), as type-graphql applies them to the mutations' arguments. */
function inputRules(kind: ImportKind, sheet: Sheet, row: number, input: SubmitFigureInput | SetTargetInput): ImportConflict[] {
  const instance = Object.assign(kind === 'submissions' ? new SubmitFigureInput() : new SetTargetInput(), input);
  return validateSync(instance, { skipMissingProperties: true, forbidUnknownValues: false }).map((e) => ({
    row, column: sheet.headers[e.property as Column], code: 'BAD_USER_INPUT', reason: Object.values(e.constraints ?? {}).join('; '),
  }));
}

function sameInput(a: object, b: object): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

/** Thrown inside a savepoint to undo a row that changes nothing. */
class Unchanged extends Error {}

/**
 * Runs a row through its service in a savepoint of the import's unit of work, so every check and
 * permission applies as in the mutation; a row that would change nothing (`unchanged`, read first)
 * is undone and counted as ignored. The row's facts join the import's only if the row stays.
 */
async function throughService(unit: UnitOfWork, row: (unit: UnitOfWork) => Promise<{ existed: boolean; unchanged: boolean }>): Promise<Outcome> {
  try {
    return await unit.savepoint(async (rowUnit) => {
      const { existed, unchanged } = await row(rowUnit);
      if (unchanged) throw new Unchanged();
      return existed ? 'updated' : 'imported';
    });
  } catch (error) {
    if (error instanceof Unchanged) return 'ignored';
    throw error;
  }
}

const same = (a: number | null | undefined, b: number | null | undefined) => (a ?? null) === (b ?? null);

function importTarget(unit: UnitOfWork, user: User, input: SetTargetInput): Promise<Outcome> {
  return throughService(unit, async (row) => {
    const existing = await row.em.findOne(Target, { indicator: { code: input.indicator }, region: { code: input.region }, deadline: input.deadline ?? null });
    const unchanged = !!existing && existing.comparator === input.comparator && same(existing.value, input.value)
      && same(existing.min, input.min) && same(existing.max, input.max) && (existing.note ?? null) === (input.note?.trim() || null);
    // A sheet changes the target it names; with a 版本 column, only from the version read.
    const expectedVersion = input.expectedVersion ?? existing?.version;
    await setTarget(row, user, { ...input, expectedVersion });
    return { existed: !!existing, unchanged };
  });
}

type Row<T> = { row: number; input: T };

/** A problem of a row, as a conflict of the file: its row number, and the column of the field at fault. */
function conflictOf(sheet: Sheet, row: number, code: string, reason: string, field: unknown): ImportConflict {
  const column = typeof field === 'string' ? sheet.headers[field as Column] : undefined;
  return { row, ...(column ? { column } : {}), code, reason };
}

const OUTCOME: Record<FigureOutcome, Outcome> = { written: 'imported', new: 'imported', replaces: 'updated', unchanged: 'ignored', replayed: 'ignored' };

/**
 * Figures through the bulk path, all rows in one statement of each kind (every check and permission
 * of submitFigure per row): a row that repeats its day's figure changes nothing and is ignored.
 */
async function importFigures(unit: UnitOfWork, user: User, sheet: Sheet, work: Row<SubmitFigureInput>[], summary: ImportSummary): Promise<void> {
  if (work.length === 0) return;
  const result = await writeFigures(unit, user, work.map((w) => w.input), { skipUnchanged: true });
  if ('problems' in result) {
    for (const p of result.problems) summary.conflicts.push(conflictOf(sheet, work[p.index].row, p.code, p.message, p.field));
    return;
  }
  for (const outcome of result.written.outcomes) summary.counts[OUTCOME[outcome]] += 1;
}

/** Targets row by row through setTarget, each in a savepoint of the import's transaction. */
async function importTargets(unit: UnitOfWork, user: User, sheet: Sheet, work: Row<SetTargetInput>[], summary: ImportSummary): Promise<void> {
  for (const { row, input } of work) {
    try {
      // Each row on an identity map of its own (a savepoint's unit), in the one transaction: a flush stays as cheap at row 5,000 as at row 1.
      summary.counts[await importTarget(unit, user, input)] += 1;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      summary.conflicts.push(conflictOf(sheet, row, error.code, error.message, error.extensions.field));
    }
  }
}

/** Thrown to roll the import's transaction back (a conflict, or a dry run). */
class RollBack extends Error {}

/**
 * Imports a sheet's rows as `user`, through the same services as the GraphQL mutations (checks,
 * permissions, facts): figures as submitFigures writes them, targets as setTarget. Every row is
 * checked first and written in one transaction of `unit`, whose commit appends every row's facts
 * and announces them once: one conflict and nothing is written. A dry run does all of it, then
 * rolls back.
 */
export async function importSheet(unit: UnitOfWork, user: User, kind: ImportKind, sheet: Sheet, options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = {
    status: 'SUCCESS', kind, dryRun: options.dryRun, written: false,
    counts: { rows: sheet.rows.length, imported: 0, updated: 0, ignored: 0 }, conflicts: [],
  };
  if (sheet.rows.length === 0) {
    summary.status = 'ERROR';
    summary.conflicts.push({ row: sheet.headerRow, code: 'BAD_USER_INPUT', reason: 'No data rows under the header' });
    return summary;
  }
  if (sheet.rows.length > options.maxRows) {
    summary.status = 'ERROR';
    summary.conflicts.push({ row: sheet.rows[options.maxRows].row, code: 'BAD_USER_INPUT', reason: `More than ${options.maxRows} rows; split the file` });
    return summary;
  }

  // Parse every row, and find a row that repeats or contradicts an earlier one of the file.
  const parse = kind === 'submissions' ? parseSubmission : parseTarget;
  const seen = new Map<string, { row: number; input: object }>();
  const work: { row: number; input: SubmitFigureInput | SetTargetInput }[] = [];
  for (const sheetRow of sheet.rows) {
    const parsed = parse(sheet, sheetRow);
    if ('conflicts' in parsed) { summary.conflicts.push(...parsed.conflicts); continue; }
    const broken = inputRules(kind, sheet, parsed.row, parsed.input);
    if (broken.length) { summary.conflicts.push(...broken); continue; }
    const first = seen.get(parsed.key);
    if (!first) {
      seen.set(parsed.key, { row: parsed.row, input: parsed.input });
      work.push(parsed);
    } else if (sameInput(first.input, parsed.input)) {
      summary.counts.ignored += 1;
    } else {
      summary.conflicts.push({
        row: parsed.row, code: 'CONFLICT',
        reason: `Row ${first.row} gives another ${kind === 'submissions' ? 'figure' : 'target'} for ${parsed.key.split('|').filter(Boolean).join(' ')}`,
      });
    }
  }

  try {
    await unit.transaction(async () => {
      if (kind === 'submissions') await importFigures(unit, user, sheet, work as Row<SubmitFigureInput>[], summary);
      else await importTargets(unit, user, sheet, work as Row<SetTargetInput>[], summary);
      if (summary.conflicts.length > 0 || options.dryRun) throw new RollBack();
    });
    summary.written = true;
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
  }
  summary.conflicts.sort((a, b) => a.row - b.row);
  if (summary.conflicts.length > 0) summary.status = 'ERROR';
  return summary;
}
