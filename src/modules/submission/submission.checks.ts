import { BadInputError } from '../../core/errors';
import { Indicator, IndicatorKind } from '../indicator/indicator.entity';
import { checkFigure, checkInYear, checkStorable } from '../indicator/indicator.rules';
import type { Region } from '../region/region.entity';
import { assertMayWrite } from '../user/user.scope';
import type { User } from '../user/user.entity';
import type { SubmitFigureInput } from './submission.input';

/** What the checks read of a region: a Region entity, or a row of the bulk path's one query. */
export type RegionOfFigure = Pick<Region, 'code' | 'name' | 'level' | 'path'>;

/** How far value may stray from 100 × numerator / denominator (rounding in the report). */
const RATIO_TOLERANCE = 0.05;

function checkRatio(indicator: Indicator, input: SubmitFigureInput): void {
  const { numerator, denominator, value } = input;
  if (numerator == null && denominator == null) return;
  if (indicator.kind !== IndicatorKind.PERCENT) {
    throw new BadInputError(`${indicator.code} is not a percentage; it takes no numerator or denominator`, 'numerator');
  }
  if (numerator == null || denominator == null) throw new BadInputError('numerator and denominator go together', numerator == null ? 'numerator' : 'denominator');
  checkStorable(numerator, 'numerator');
  checkStorable(denominator, 'denominator');
  if (numerator < 0) throw new BadInputError('numerator must be a number, zero or more', 'numerator');
  if (denominator <= 0) throw new BadInputError('denominator must be a number above zero', 'denominator');
  if (numerator > denominator) throw new BadInputError(`numerator ${numerator} exceeds denominator ${denominator}: a share above 100%`, 'numerator');
  const implied = (100 * numerator) / denominator;
  if (Math.abs(implied - value) > RATIO_TOLERANCE + 0.5 * 10 ** -indicator.decimals) {
    throw new BadInputError(`value ${value} is not ${numerator} / ${denominator} = ${implied.toFixed(2)}%`, 'value');
  }
}

/**
 * Everything a figure is checked for before it is written, one figure or many alike: the user may
 * write the programme's figures in the region, the region is at the indicator's reporting level,
 * the value fits the indicator (kind, bounds, decimals, a ratio's parts), and asOf lies in the
 * programme's year and not after today. Throws the first AppError, naming its field.
 */
export function checkSubmission(user: User, indicator: Indicator, region: RegionOfFigure, input: SubmitFigureInput, today: string): void {
  assertMayWrite(user, indicator.programme, region, 'figures');
  if (region.level !== indicator.reportingLevel) {
    throw new BadInputError(
      `${indicator.code} is reported by ${indicator.reportingLevel.toLowerCase()}; ${region.name} (${region.code}) is a ${region.level.toLowerCase()}`,
      'region');
  }
  checkFigure(indicator, input.value, 'value');
  checkRatio(indicator, input);
  checkInYear(input.asOf, indicator.programme.year, 'asOf');
  if (input.asOf > today) throw new BadInputError(`asOf ${input.asOf} is after today (${today})`, 'asOf');
}

/** A note as stored: trimmed, and none for blank text. */
export function storedNote(note: string | null | undefined): string | undefined {
  return note?.trim() || undefined;
}

/** What makes two submissions the same figure (an idempotency key sent again must send the same). */
export interface FigureValues {
  indicatorId: number;
  regionCode: string;
  value: number;
  asOf: string;
  numerator?: number | null;
  denominator?: number | null;
  note?: string | null;
}

export function sameFigure(a: FigureValues, b: FigureValues): boolean {
  return a.indicatorId === b.indicatorId && a.regionCode === b.regionCode && a.value === b.value && a.asOf === b.asOf
    && (a.numerator ?? null) === (b.numerator ?? null) && (a.denominator ?? null) === (b.denominator ?? null)
    && (a.note ?? null) === (b.note ?? null);
}
