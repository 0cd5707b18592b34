import { AppError } from '../../core/errors';
import { textProblem } from '../../core/text';
import type { UnitOfWork } from '../events/unit-of-work';
import { CellError, type Cell, type Column, type ImportKind } from './spreadsheet.columns';
import type { Sheet, SheetRow } from './spreadsheet.read';

/*
 * What every kind of import shares: its summary, reading a row's cells into an input, a row (or a
 * group of rows) written through its service in a savepoint, and the one transaction for them all.
 */

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
    /** New submissions; new targets; trajectories of targets that had none. */
    imported: number;
    /** Submissions that replace a figure of the same region and day (the earlier one stays in the history); targets changed; a trajectory's new version. */
    updated: number;
    /** What changes nothing: the same figure, target or plan already there (a file imported again), or a row repeated in the file. */
    ignored: number;
  };
  conflicts: ImportConflict[];
}

export interface ImportOptions {
  dryRun: boolean;
  /** At most this many data rows in one file. */
  maxRows: number;
}

export type Outcome = 'imported' | 'updated' | 'ignored';

/** A row made into the mutation's input, or the cell errors that stop it. */
export type Parsed<T> = { row: number; input: T; key: string } | { row: number; conflicts: ImportConflict[] };

export function parseRow<T>(sheet: Sheet, row: SheetRow, build: (get: <V>(column: Column, read: (cell: Cell | undefined, label: string) => V) => V | undefined) => T): Parsed<T> {
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

export function required<V>(value: V | undefined, row: SheetRow, sheet: Sheet, column: Column, conflicts: ImportConflict[]): V {
  if (value === undefined && row.cells[column] === undefined) {
    conflicts.push({ row: row.row, column: sheet.headers[column], code: 'BAD_USER_INPUT', reason: `${sheet.headers[column] ?? column} is empty` });
  }
  return value as V;
}

export function sameInput(a: object, b: object): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

/** Thrown inside a savepoint to undo a row that changes nothing. */
class Unchanged extends Error {}

/**
 * Runs a row through its service in a savepoint of the import's unit of work, so every check and
 * permission applies as in the mutation; a row that would change nothing (`unchanged`, read first)
 * is undone and counted as ignored. The row's facts join the import's only if the row stays.
 */
export async function throughService(unit: UnitOfWork, row: (unit: UnitOfWork) => Promise<{ existed: boolean; unchanged: boolean }>): Promise<Outcome> {
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

export const same = (a: number | null | undefined, b: number | null | undefined) => (a ?? null) === (b ?? null);

/** Thrown to roll the import's transaction back (a conflict, or a dry run). */
class RollBack extends Error {}

/** A unit of a sheet to write (a row, or a target's rows), and where an error on a field of its input is in the file. */
export interface SheetWork {
  row: number;
  write(unit: UnitOfWork): Promise<Outcome>;
  locate(field: string | undefined): { row: number; column?: string };
}

/**
 * Runs `write` in one transaction of `unit`, then rolls it back on any conflict it recorded or a
 * dry run (nothing written); sorts the conflicts and sets the status. Fills `summary`.
 */
export async function inOneTransaction(unit: UnitOfWork, summary: ImportSummary, dryRun: boolean, write: () => Promise<void>): Promise<ImportSummary> {
  try {
    await unit.transaction(async () => {
      await write();
      if (summary.conflicts.length > 0 || dryRun) throw new RollBack();
    });
    summary.written = true;
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
  }
  summary.conflicts.sort((a, b) => a.row - b.row);
  if (summary.conflicts.length > 0) summary.status = 'ERROR';
  return summary;
}

/** A typed error of a write, as a conflict of the file: its row, and the column of the field at fault where there is one. */
export function writeConflict(at: { row: number; column?: string }, code: string, reason: string): ImportConflict {
  return { row: at.row, ...(at.column ? { column: at.column } : {}), code, reason };
}

/**
 * Writes the sheet's work in one transaction of `unit` (each through its service, in a savepoint),
 * counting outcomes and turning typed errors into conflicts; rolls back on any conflict or a dry
 * run. Fills `summary`.
 */
export function writeSheet(unit: UnitOfWork, summary: ImportSummary, work: SheetWork[], dryRun: boolean): Promise<ImportSummary> {
  return inOneTransaction(unit, summary, dryRun, async () => {
    for (const item of work) {
      try {
        summary.counts[await item.write(unit)] += 1;
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const at = item.locate(error.extensions.field as string | undefined);
        summary.conflicts.push(writeConflict(at, error.code, error.message));
      }
    }
  });
}
