/**
 * Splits `total` over regions in proportion to `weights`, in steps of 10^-decimals, so that the
 * parts add up to the total exactly (largest remainder: each part is floored, then the steps left
 * go to the largest fractions, ties to the earlier region).
 */
export function allocate(total: number, decimals: number, weights: number[]): number[] {
  if (weights.length === 0) throw new Error('nothing to allocate over');
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) throw new Error('weights must be non-negative and not all zero');
  const scale = 10 ** decimals;
  const units = Math.round(total * scale);
  if (Math.abs(units - total * scale) > 1e-6 * Math.max(1, Math.abs(units))) {
    throw new Error(`${total} has more than ${decimals} decimal places`);
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (units * w) / sum);
  const parts = exact.map(Math.floor);
  let left = units - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    parts[i] += 1;
    left -= 1;
  }
  return parts.map((p) => p / scale);
}

/** A weight in [low, high) fixed by a key: the same demo every time, different per indicator and region. */
export function jitter(key: string, low = 0.6, high = 1.4): number {
  // FNV-1a, 32 bits.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return low + ((h % 10_000) / 10_000) * (high - low);
}
