import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { AppError, BadInputError, ConflictError, ForbiddenError, NotFoundError, type ErrorCode } from '../../core/errors';
import { fieldOfPath } from '../../core/errors';
import { figureEntered } from '../events/facts';
import type { UnitOfWork } from '../events/unit-of-work';
import { Indicator } from '../indicator/indicator.entity';
import { resolveUrgesOf } from '../urge/urge.service';
import type { User } from '../user/user.entity';
import { checkSubmission, sameFigure, storedNote, type RegionOfFigure } from './submission.checks';
import type { SubmitFigureInput } from './submission.input';
import {
  dayKey, daysOf, insertSubmissions, regionsByCode, submissionsByKey, type DayRow, type KeyedRow, type NewSubmission,
} from './submission.bulk.sql';

/** The most figures one submitFigures call takes (what a spreadsheet import takes, too). */
export const MAX_FIGURES_PER_CALL = 5_000;

/** A row refused, and why: its place in the call, the input field at fault, the code submitFigure would answer. */
export interface RowProblem {
  index: number;
  field?: string;
  code: ErrorCode;
  message: string;
}

/**
 * What became of a row: `written`; with `skipUnchanged`, `new` (the first figure of its day that
 * counts), `replaces` (a figure that counts was there for the day; the earlier stays in the
 * history) or `unchanged` (the same figure as that one, not written); `replayed`, its idempotency
 * key returned an earlier submission.
 */
export type FigureOutcome = 'written' | 'new' | 'replaces' | 'unchanged' | 'replayed';

export interface FiguresWritten {
  /** Per row, its submission (the earlier one for `unchanged` and `replayed`). */
  ids: string[];
  outcomes: FigureOutcome[];
  /** Submissions inserted. */
  created: number;
}

export interface WriteFiguresOptions {
  /** A row that repeats the latest figure of its day is not written (a file imported again). */
  skipUnchanged?: boolean;
}

interface Checked {
  index: number;
  input: SubmitFigureInput;
  note: string | undefined;
  indicator: Indicator;
  region: RegionOfFigure;
}

const problemOf = (index: number, error: AppError): RowProblem => ({
  index, code: error.code, message: error.message, ...(typeof error.extensions.field === 'string' ? { field: error.extensions.field } : {}),
});

const numberOr = (text: string | null): number | null => (text == null ? null : Number(text));

/** What a call's rows refer to, each read in one query. */
interface References {
  indicators: Map<string, Indicator>;
  regions: Map<string, RegionOfFigure>;
  /** The user's earlier submissions under the call's idempotency keys. */
  keyed: Map<string, KeyedRow>;
}

/** A row as far as the checks go: to write, replayed (its key's earlier submission), or refused. */
type Judged = { write: Checked } | { replayed: string } | { problem: RowProblem };

/**
 * Every row checked as submitFigure checks one (`checkSubmission`), and within the call: an
 * idempotency key used twice, a second figure for the same indicator, region and day.
 */
function judgeRows(user: User, inputs: readonly SubmitFigureInput[], refs: References, today: string): Judged[] {
  const days = new Map<string, number>();
  const keys = new Map<string, number>();
  return inputs.map((input, index): Judged => {
    try {
      const indicator = refs.indicators.get(input.indicator);
      if (!indicator) throw new NotFoundError('Indicator', input.indicator, { field: 'indicator' });
      const region = refs.regions.get(input.region);
      if (!region) throw new NotFoundError('Region', input.region, { field: 'region' });
      checkSubmission(user, indicator, region, input, today);
      const row: Checked = { index, input, note: storedNote(input.note), indicator, region };
      const key = input.idempotencyKey;
      if (key) {
        if (keys.has(key)) throw new ConflictError(`idempotencyKey "${key}" is also the key of row ${keys.get(key)}`, { field: 'idempotencyKey' });
        keys.set(key, index);
        const earlier = refs.keyed.get(key);
        if (earlier) {
          const before = { indicatorId: Number(earlier.indicator_id), regionCode: earlier.region_code, value: Number(earlier.value), asOf: earlier.as_of,
            numerator: numberOr(earlier.numerator), denominator: numberOr(earlier.denominator), note: earlier.note };
          const now = { indicatorId: indicator.id, regionCode: region.code, value: input.value, asOf: input.asOf, numerator: input.numerator, denominator: input.denominator, note: row.note };
          if (!sameFigure(before, now)) {
            throw new ConflictError(`idempotencyKey "${key}" was used for a different figure (submission ${earlier.id})`, { submission: earlier.id, field: 'idempotencyKey' });
          }
          return { replayed: earlier.id };
        }
      }
      const day = dayKey(indicator.id, region.code, input.asOf);
      if (days.has(day)) throw new BadInputError(`row ${days.get(day)} already gives ${input.indicator} for ${region.code} on ${input.asOf}`, 'asOf');
      days.set(day, index);
      return { write: row };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return { problem: problemOf(index, error) };
    }
  });
}

const unchanged = (r: Checked, day: DayRow) => Number(day.value) === r.input.value && numberOr(day.numerator) === (r.input.numerator ?? null)
  && numberOr(day.denominator) === (r.input.denominator ?? null) && (day.note ?? null) === (r.note ?? null);

/**
 * Many figures in one transaction of `unit`, with the checks and permissions of submitFigure for
 * each: the indicators, regions and idempotency keys of every row read in one query each, the
 * submissions with their audit entries written in one statement, and one FigureEntered fact per
 * figure appended in one more. All or nothing: a refused row returns every row's problems and
 * writes nothing.
 */
export async function writeFigures(
  unit: UnitOfWork, user: User, inputs: readonly SubmitFigureInput[], options: WriteFiguresOptions = {},
): Promise<{ problems: RowProblem[] } | { written: FiguresWritten }> {
  const { clock } = unit;
  return unit.transaction(async (tx, outbox) => {
    const indicators = await tx.find(Indicator, { code: { $in: [...new Set(inputs.map((r) => r.indicator))] } }, { populate: ['programme'] });
    const refs: References = {
      indicators: new Map(indicators.map((i) => [i.code, i])),
      regions: await regionsByCode(tx, [...new Set(inputs.map((r) => r.region))]),
      keyed: await submissionsByKey(tx, user.id, [...new Set(inputs.map((r) => r.idempotencyKey).filter((k): k is string => !!k))]),
    };
    const judged = judgeRows(user, inputs, refs, clock.today());
    const problems = judged.flatMap((j) => ('problem' in j ? [j.problem] : []));
    if (problems.length > 0) return { problems };

    const ids: string[] = new Array(inputs.length);
    const outcomes: FigureOutcome[] = new Array(inputs.length);
    const checked: Checked[] = [];
    judged.forEach((j, index) => {
      if ('replayed' in j) { ids[index] = j.replayed; outcomes[index] = 'replayed'; }
      if ('write' in j) checked.push(j.write);
    });
    // A file imported again: a row that repeats the latest figure of its day is not written.
    const before = options.skipUnchanged
      ? await daysOf(tx, checked.map((r) => ({ i: r.index, indicatorId: r.indicator.id, regionCode: r.region.code, asOf: r.input.asOf })))
      : undefined;
    const toWrite: Checked[] = [];
    for (const r of checked) {
      const day = before?.get(r.index);
      if (day && unchanged(r, day)) {
        ids[r.index] = day.latest_id!;
        outcomes[r.index] = 'unchanged';
      } else {
        outcomes[r.index] = !before ? 'written' : day ? 'replaces' : 'new';
        toWrite.push(r);
      }
    }

    const rows: NewSubmission[] = toWrite.map((r) => ({
      indicatorId: r.indicator.id, regionCode: r.region.code, value: r.input.value, numerator: r.input.numerator ?? null,
      denominator: r.input.denominator ?? null, asOf: r.input.asOf, note: r.note ?? null, idempotencyKey: r.input.idempotencyKey ?? null,
    }));
    const inserted = await insertSubmissions(tx, rows, user.id, clock.now());
    toWrite.forEach((r, i) => { ids[r.index] = inserted.get(dayKey(rows[i].indicatorId, rows[i].regionCode, rows[i].asOf))!; });
    // The figures' open urges are answered by them, in the same transaction; then one fact per figure.
    const figures = toWrite.map((r) => ({ submissionId: ids[r.index], indicator: r.indicator, region: r.region }));
    outbox.add(...await resolveUrgesOf(tx, clock, figures));
    outbox.add(...figures.map((f) => figureEntered(f.submissionId, f.indicator.id, f.region.code)));
    return { written: { ids, outcomes, created: toWrite.length } };
  });
}

/**
 * The one error for a refused call: FORBIDDEN when a row may not be written by the user, else
 * BAD_USER_INPUT (or CONFLICT when every refusal is an idempotency key's). `field` is the first row's
 * field at fault as a path in the variable (`[3].value`), `fields` every one, `rows` each with its
 * code and message.
 */
export function refusal(problems: readonly RowProblem[], total: number): AppError {
  const at = (p: RowProblem) => fieldOfPath(['input', p.index, ...(p.field ? [p.field] : [])]);
  const shown = problems.slice(0, 5).map((p) => `${at(p)}: ${p.message}`).join('; ');
  const message = `${problems.length} of ${total} figures refused; nothing was written: ${shown}${problems.length > 5 ? '; …' : ''}`;
  const extensions = { fields: problems.map(at), rows: problems.map((p) => ({ index: p.index, field: p.field ?? null, code: p.code, message: p.message })) };
  if (problems.some((p) => p.code === 'FORBIDDEN')) return new ForbiddenError(message, extensions);
  if (problems.every((p) => p.code === 'CONFLICT')) return new ConflictError(message, extensions);
  return new BadInputError(message, extensions.fields[0], extensions);
}

/**
 * submitFigures: at most MAX_FIGURES_PER_CALL figures, all written or none (see `writeFigures`).
 * A concurrent call that took one of the idempotency keys first is answered as its replay.
 */
export async function submitFigures(unit: UnitOfWork, user: User, inputs: readonly SubmitFigureInput[]): Promise<FiguresWritten> {
  if (inputs.length > MAX_FIGURES_PER_CALL) {
    throw new BadInputError(`${inputs.length} figures is more than ${MAX_FIGURES_PER_CALL} a call; split them`, 'input', { max: MAX_FIGURES_PER_CALL });
  }
  if (inputs.length === 0) return { ids: [], outcomes: [], created: 0 };
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await writeFigures(unit, user, inputs);
      if ('problems' in result) throw refusal(result.problems, inputs.length);
      return result.written;
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException) || attempt > 0 || !inputs.some((r) => r.idempotencyKey)) throw error;
    }
  }
}
