import { validateSync } from 'class-validator';
import { Interpolation } from '../trajectory/trajectory.entity';
import { SetTrajectoryInput } from '../trajectory/trajectory.input';
import { latestTrajectory, setTrajectory } from '../trajectory/trajectory.service';
import { Target } from '../target/target.entity';
import type { User } from '../user/user.entity';
import type { UnitOfWork } from '../events/unit-of-work';
import { cellText, readCode, readDate, readInteger, readInterpolation, readNumber, type Cell, type Column } from './spreadsheet.columns';
import type { Sheet, SheetRow } from './spreadsheet.read';
import { parseRow, required, throughService, writeSheet, type ImportConflict, type ImportSummary, type SheetWork } from './spreadsheet.rows';

/*
 * Trajectories by spreadsheet: a row per milestone (节点日期, 计划值), the rows of one target
 * (指标代码 × 地区代码 × 截止日期) making its plan, as a bureau's 时间节点表 lists them. A target's
 * plan is one setTrajectory: a new version unless it is the plan already there.
 */

interface TrajectoryRow {
  indicator: string;
  region: string;
  deadline?: string;
  interpolation?: Interpolation;
  startsOn?: string;
  on?: string;
  value?: number;
  note?: string;
  expectedVersion?: number;
}

/** A target's rows, gathered in file order. */
interface SheetPlan {
  rows: { row: number; input: TrajectoryRow }[];
  /** For each setting, the row that gave it (the first; another row giving another value is a conflict). */
  from: Partial<Record<'interpolation' | 'startsOn' | 'note' | 'expectedVersion', number>>;
  input: SetTrajectoryInput;
  /** The row of each milestone, in the order of `input.milestones`. */
  milestoneRows: number[];
}

const text = (cell: Cell | undefined) => cellText(cell) || undefined;

function parse(sheet: Sheet, row: SheetRow): { row: number; input: TrajectoryRow } | { row: number; conflicts: ImportConflict[] } {
  const missing: ImportConflict[] = [];
  const parsed = parseRow<TrajectoryRow>(sheet, row, (get) => ({
    indicator: required(get('indicator', readCode), row, sheet, 'indicator', missing),
    region: required(get('region', readCode), row, sheet, 'region', missing),
    deadline: get('deadline', readDate),
    interpolation: get('interpolation', readInterpolation),
    startsOn: get('startsOn', readDate),
    on: get('on', readDate),
    value: get('value', readNumber),
    note: get('note', text),
    expectedVersion: get('expectedVersion', readInteger),
  }));
  if ('conflicts' in parsed) return { row: row.row, conflicts: [...missing, ...parsed.conflicts] };
  const { input } = parsed;
  // A milestone is a day and a value; a row may also give only the plan's settings (a start date).
  if (input.on !== undefined && input.value === undefined) missing.push({ row: row.row, column: sheet.headers.value, code: 'BAD_USER_INPUT', reason: `${sheet.headers.value ?? 'value'} is empty` });
  if (input.value !== undefined && input.on === undefined) missing.push({ row: row.row, column: sheet.headers.on, code: 'BAD_USER_INPUT', reason: `${sheet.headers.on ?? 'on'} is empty` });
  return missing.length ? { row: row.row, conflicts: missing } : { row: row.row, input };
}

/** Gathers the rows into one plan per target; a setting given two ways, or a day given twice, is a conflict. */
function gather(sheet: Sheet, summary: ImportSummary): SheetPlan[] {
  const plans = new Map<string, SheetPlan>();
  for (const sheetRow of sheet.rows) {
    const parsed = parse(sheet, sheetRow);
    if ('conflicts' in parsed) { summary.conflicts.push(...parsed.conflicts); continue; }
    const { row, input } = parsed;
    const key = `${input.indicator}|${input.region}|${input.deadline ?? ''}`;
    let plan = plans.get(key);
    if (!plan) {
      plan = { rows: [], from: {}, milestoneRows: [], input: Object.assign(new SetTrajectoryInput(), {
        indicator: input.indicator, region: input.region, deadline: input.deadline, interpolation: Interpolation.LINEAR, milestones: [],
      }) };
      plans.set(key, plan);
    }
    plan.rows.push({ row, input });
    for (const setting of ['interpolation', 'startsOn', 'note', 'expectedVersion'] as const) {
      if (input[setting] === undefined) continue;
      const first = plan.from[setting];
      if (first === undefined) {
        plan.from[setting] = row;
        Object.assign(plan.input, { [setting]: input[setting] });
      } else if (plan.input[setting] !== input[setting]) {
        summary.conflicts.push({ row, column: sheet.headers[setting as Column], code: 'CONFLICT', reason: `Row ${first} gives another ${sheet.headers[setting as Column] ?? setting} for ${input.indicator} ${input.region}` });
      }
    }
  }
  for (const plan of plans.values()) {
    // Milestones in the order of their days, whatever the file's order; the same day twice is a conflict, or a row repeated.
    const byDay = new Map<string, { row: number; value: number }>();
    for (const { row, input } of plan.rows.filter((r) => r.input.on !== undefined).sort((a, b) => a.input.on!.localeCompare(b.input.on!))) {
      const first = byDay.get(input.on!);
      if (!first) byDay.set(input.on!, { row, value: input.value! });
      else if (first.value !== input.value) {
        summary.conflicts.push({ row, column: sheet.headers.on, code: 'CONFLICT', reason: `Row ${first.row} gives another value for ${input.indicator} ${input.region} on ${input.on}` });
      } else summary.counts.ignored += 1;
    }
    plan.input.milestones = [...byDay].map(([on, { value }]) => ({ on, value }));
    plan.milestoneRows = [...byDay.values()].map((m) => m.row);
    for (const e of validateSync(plan.input, { skipMissingProperties: true, forbidUnknownValues: false })) {
      summary.conflicts.push({ row: plan.rows[0].row, column: sheet.headers[e.property as Column], code: 'BAD_USER_INPUT', reason: Object.values(e.constraints ?? {}).join('; ') });
    }
  }
  return [...plans.values()];
}

const samePlan = (a: { interpolation: Interpolation; startsOn?: string | null; milestones: { on: string; value: number }[] }, b: SetTrajectoryInput) =>
  a.interpolation === b.interpolation && (a.startsOn ?? null) === (b.startsOn ?? null)
  && a.milestones.length === b.milestones.length && a.milestones.every((m, i) => m.on === b.milestones[i].on && m.value === b.milestones[i].value);

/** Where an error on a field of a plan's input is in the file: a milestone's row and column, a setting's row. */
function locator(sheet: Sheet, plan: SheetPlan): SheetWork['locate'] {
  return (field) => {
    const milestone = /^milestones\.(\d+)\.(on|value)$/.exec(field ?? '');
    if (milestone) return { row: plan.milestoneRows[Number(milestone[1])] ?? plan.rows[0].row, column: sheet.headers[milestone[2] as Column] };
    const setting = field as keyof SheetPlan['from'] | undefined;
    const row = (setting && plan.from[setting]) ?? plan.rows[0].row;
    return { row, column: field && field !== 'milestones' ? sheet.headers[field as Column] : undefined };
  };
}

/**
 * Imports a sheet of trajectories as `user` through setTrajectory (its checks and permissions), one
 * plan per target, all in one transaction of `unit`. Counts are plans: imported (a target's first),
 * updated (a new version), ignored (the plan it has already, or a row repeated).
 */
export function importTrajectorySheet(unit: UnitOfWork, user: User, sheet: Sheet, summary: ImportSummary, dryRun: boolean): Promise<ImportSummary> {
  const work: SheetWork[] = gather(sheet, summary).map((plan) => ({
    row: plan.rows[0].row,
    locate: locator(sheet, plan),
    write: (u) => throughService(u, async (rowUnit) => {
      const { input } = plan;
      const target = await rowUnit.em.findOne(Target, { indicator: { code: input.indicator }, region: { code: input.region }, deadline: input.deadline ?? null });
      const latest = target ? await latestTrajectory(rowUnit.em, target.id) : null;
      // A sheet changes the plan it names; with a 版本 column, only from the version read.
      await setTrajectory(rowUnit, user, { ...input, expectedVersion: input.expectedVersion ?? latest?.version ?? 0 });
      return { existed: !!latest, unchanged: !!latest && samePlan(latest, input) };
    }),
  }));
  return writeSheet(unit, summary, work, dryRun);
}
