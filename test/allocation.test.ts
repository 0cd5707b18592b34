import { allocate, jitter } from '../src/modules/demo/allocation';

describe('allocate', () => {
  it('splits in proportion and adds up exactly', () => {
    expect(allocate(10, 0, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(allocate(7.2, 1, [1, 2, 3])).toEqual([1.2, 2.4, 3.6]);
  });

  it('adds up to the total to the last decimal, whatever the weights', () => {
    for (let n = 0; n < 200; n++) {
      const decimals = n % 3;
      const total = Math.round(jitter(`t${n}`, 0, 100_000) * 10 ** decimals) / 10 ** decimals;
      const weights = Array.from({ length: 1 + (n % 40) }, (_, i) => jitter(`w${n}:${i}`, 0, 5));
      const parts = allocate(total, decimals, weights);
      const units = parts.reduce((a, p) => a + Math.round(p * 10 ** decimals), 0);
      expect(units).toBe(Math.round(total * 10 ** decimals));
      expect(parts.every((p) => p >= 0)).toBe(true);
    }
  });

  it('refuses what cannot be split', () => {
    expect(() => allocate(1, 0, [])).toThrow(/nothing to allocate/);
    expect(() => allocate(1, 0, [0, 0])).toThrow(/weights/);
    expect(() => allocate(1.25, 1, [1])).toThrow(/decimal places/);
  });
});

describe('jitter', () => {
  it('is fixed by its key and stays in range', () => {
    expect(jitter('P3-01:330302')).toBe(jitter('P3-01:330302'));
    expect(jitter('P3-01:330302')).not.toBe(jitter('P3-01:330303'));
    for (let i = 0; i < 100; i++) {
      const j = jitter(String(i));
      expect(j).toBeGreaterThanOrEqual(0.6);
      expect(j).toBeLessThan(1.4);
    }
  });
});
