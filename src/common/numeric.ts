import { DecimalType } from '@mikro-orm/core';

/** Digits of a figure's column in all, and after the point: `numeric(20,4)`. */
export const NUMERIC_PRECISION = 20;
export const NUMERIC_SCALE = 4;

/** A figure is less than this either way (16 digits before the point): what the column holds. */
export const NUMERIC_LIMIT = 10 ** (NUMERIC_PRECISION - NUMERIC_SCALE);

/** The largest figure the column holds, as the message that refuses a larger one writes it. */
export const NUMERIC_MAX_TEXT = `${'9'.repeat(NUMERIC_PRECISION - NUMERIC_SCALE)}.${'9'.repeat(NUMERIC_SCALE)}`;

/**
 * Figures are stored as exact decimals (so that an allocation adds up to the city's figure to the
 * last digit) and read as JavaScript numbers.
 */
export const numeric = () => ({ type: new DecimalType('number'), columnType: `numeric(${NUMERIC_PRECISION},${NUMERIC_SCALE})` }) as const;

/** Whether `value` has at most `places` decimal places, exactly: 1.0000000000000002 and 5e-324 have more than 0. */
export function hasAtMostPlaces(value: number, places: number): boolean {
  return Number(value.toFixed(places)) === value;
}
