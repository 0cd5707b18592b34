import { isWorkday } from 'chinese-days';

/** `YYYY-MM-DD` plus `n` days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The working days after `from` up to and including `to`, by China's calendar (`chinese-days`:
 * weekends and public holidays off, make-up working days on).
 */
export function workingDaysAfter(from: string, to: string): number {
  let n = 0;
  for (let day = addDays(from, 1); day <= to; day = addDays(day, 1)) if (isWorkday(day)) n += 1;
  return n;
}
