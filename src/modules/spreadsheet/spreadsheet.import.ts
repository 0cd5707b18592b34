import { validateSync } from 'class-validator';
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
import {
  inOneTransaction, parseRow, required, same, sameInput, throughService, writeConflict, writeSheet,
  type ImportConflict, type ImportOptions, type ImportSummary, type Outcome, type Parsed, type SheetWork,
} from './spreadsheet.rows';
import { importTrajectorySheet } from './trajectory.sheet';

export type { ImportConflict, ImportOptions, ImportSummary } from './spreadsheet.rows';

const text = (cell: Cell | undefined) => cellText(cell);

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
function inputRules(kind: 'submissions' | 'targets', sheet: Sheet, row: number, input: SubmitFigureInput | SetTargetInput): ImportConflict[] {
  const instance = Object.assign(kind === 'submissions' ? new SubmitFigureInput() : new SetTargetInput(), input);
  return validateSync(instance, { skipMissingProperties: true, forbidUnknownValues: false }).map((e) => ({
    row, column: sheet.headers[e.property as Column], code: 'BAD_USER_INPUT', reason: Object.values(e.constraints ?? {}).join('; '),
  }));
}

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

/** The sheet's header of an input field named by an error, if it is one of the sheet's columns. */
function columnOf(sheet: Sheet, field: unknown): string | undefined {
  return typeof field === 'string' && field ? sheet.headers[field as Column] : undefined;
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
    for (const p of result.problems) summary.conflicts.push(writeConflict({ row: work[p.index].row, column: columnOf(sheet, p.field) }, p.code, p.message));
    return;
  }
  for (const outcome of result.written.outcomes) summary.counts[OUTCOME[outcome]] += 1;
}

/** The figures of a sheet in one transaction of `unit` through the bulk path; rolled back on any conflict or a dry run. */
function writeFigureSheet(unit: UnitOfWork, user: User, sheet: Sheet, figures: Row<SubmitFigureInput>[], summary: ImportSummary, dryRun: boolean): Promise<ImportSummary> {
  return inOneTransaction(unit, summary, dryRun, () => importFigures(unit, user, sheet, figures, summary));
}

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

  if (kind === 'trajectories') return importTrajectorySheet(unit, user, sheet, summary, options.dryRun);

  // Parse every row, and find a row that repeats or contradicts an earlier one of the file.
  const parse = kind === 'submissions' ? parseSubmission : parseTarget;
  const seen = new Map<string, { row: number; input: object }>();
  const work: SheetWork[] = [];
  const figures: Row<SubmitFigureInput>[] = [];
  for (const sheetRow of sheet.rows) {
    const parsed = parse(sheet, sheetRow);
    if ('conflicts' in parsed) { summary.conflicts.push(...parsed.conflicts); continue; }
    const broken = inputRules(kind, sheet, parsed.row, parsed.input);
    if (broken.length) { summary.conflicts.push(...broken); continue; }
    const first = seen.get(parsed.key);
    if (!first) {
      seen.set(parsed.key, { row: parsed.row, input: parsed.input });
      const { row, input } = parsed;
      // Figures go through the bulk path together; targets one by one through setTarget.
      if (kind === 'submissions') figures.push({ row, input: input as SubmitFigureInput });
      else work.push({
        row,
        // Each row on an identity map of its own (a savepoint's unit), in the one transaction: a flush stays as cheap at row 5,000 as at row 1.
        write: (u) => importTarget(u, user, input as SetTargetInput),
        locate: (field) => ({ row, column: columnOf(sheet, field) }),
      });
    } else if (sameInput(first.input, parsed.input)) {
      summary.counts.ignored += 1;
    } else {
      summary.conflicts.push({
        row: parsed.row, code: 'CONFLICT',
        reason: `Row ${first.row} gives another ${kind === 'submissions' ? 'figure' : 'target'} for ${parsed.key.split('|').filter(Boolean).join(' ')}`,
      });
    }
  }
  if (kind === 'submissions') return writeFigureSheet(unit, user, sheet, figures, summary, options.dryRun);
  return writeSheet(unit, summary, work, options.dryRun);
}
