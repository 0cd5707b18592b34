import { BadInputError } from '../../server/errors';
import { Indicator, IndicatorKind } from './indicator.entity';

/** Checks that `value` can be a figure (or a target) of the indicator; throws BAD_USER_INPUT naming `field`. */
export function checkFigure(indicator: Indicator, value: number, field: string): void {
  if (!Number.isFinite(value)) throw new BadInputError(`${field} must be a finite number`, field);
  const { kind, code } = indicator;
  if ((kind === IndicatorKind.COUNT || kind === IndicatorKind.AMOUNT || kind === IndicatorKind.PERCENT) && value < 0) {
    throw new BadInputError(`${field} of ${code} (${kind}) cannot be negative`, field);
  }
  if (kind === IndicatorKind.PERCENT && value > 100) {
    throw new BadInputError(`${field} of ${code} is a percentage and cannot be above 100`, field);
  }
  if (kind === IndicatorKind.MILESTONE && value !== 0 && value !== 1) {
    throw new BadInputError(`${field} of ${code} is a milestone: 1 when done, 0 when not`, field);
  }
  const scaled = value * 10 ** indicator.decimals;
  if (Math.abs(scaled - Math.round(scaled)) > 1e-6 * Math.max(1, Math.abs(scaled))) {
    throw new BadInputError(
      indicator.decimals === 0
        ? `${field} of ${code} must be a whole number (${indicator.unit ?? kind})`
        : `${field} of ${code} has at most ${indicator.decimals} decimal places`,
      field);
  }
}

/** The first day and the last day of a programme year; a date outside is refused. */
export function checkInYear(date: string, year: number, field: string): void {
  if (!date.startsWith(`${year}-`)) throw new BadInputError(`${field} ${date} is outside the programme's year ${year}`, field);
}
