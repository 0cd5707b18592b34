/** Reading the benchmarks' settings from the environment, the same way in every bench. */

/** A positive number from `name`, or `fallback` when unset; anything else stops the run. */
export function number(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return value;
}
