import { hasAtMostPlaces, NUMERIC_LIMIT, NUMERIC_MAX_TEXT, NUMERIC_SCALE } from '../../common/numeric';
import { BadInputError } from '../../core/errors';
import { Indicator, IndicatorKind } from './indicator.entity';

/** A finite number the figures' column holds (less than 10^16 either way); throws BAD_USER_INPUT naming `field`, with the bound. */
function checkInRange(value: number, field: string): void {
  if (!Number.isFinite(value)) throw new BadInputError(`${field} must be a finite number`, field);
  if (Math.abs(value) >= NUMERIC_LIMIT) {
    throw new BadInputError(`${field} ${value} is out of range: a figure is at most ${NUMERIC_MAX_TEXT} either way`, field);
  }
}

/** A number the figures' column holds as sent: in range, and at most its 4 decimal places (else it would be rounded). */
export function checkStorable(value: number, field: string): void {
  checkInRange(value, field);
  if (!hasAtMostPlaces(value, NUMERIC_SCALE)) throw new BadInputError(`${field} ${value} has more than ${NUMERIC_SCALE} decimal places`, field);
}

/**
 * Checks that `value` can be a figure (or a target) of the indicator: what the column holds, and
 * the indicator's kind and decimal places (at most the column's 4); throws BAD_USER_INPUT naming `field`.
 */
export function checkFigure(indicator: Indicator, value: number, field: string): void {
  checkInRange(value, field);
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
  // Exactly: any fraction on a whole-number kind is refused, however small (5e-324, 1.0000000000000002).
  if (!hasAtMostPlaces(value, indicator.decimals)) {
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
