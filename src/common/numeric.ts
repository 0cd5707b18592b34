import { DecimalType } from '@mikro-orm/core';

/**
 * Figures are stored as exact decimals (so that an allocation adds up to the city's figure to the
 * last digit) and read as JavaScript numbers.
 */
export const numeric = () => ({ type: new DecimalType('number'), columnType: 'numeric(20,4)' }) as const;
