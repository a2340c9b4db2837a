/** The c=1 latency pass's percentiles (benchmarks/lib/percentile.js), nearest rank. */
import { describe, expect, it } from 'vitest';
import { percentile } from '../../../benchmarks/lib/percentile.js';

describe('percentile', () => {
  const s = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('is the smallest sample with at least q of the samples at or below it', () => {
    expect(percentile(s, 0.5)).toBe(50);
    expect(percentile(s, 0.99)).toBe(99);
    expect(percentile(s, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('is null with no samples and refuses a q outside (0, 1]', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(() => percentile(s, 0)).toThrow(/q must be in \(0, 1\]/);
    expect(() => percentile(s, 99)).toThrow(/got 99/);
  });
});
