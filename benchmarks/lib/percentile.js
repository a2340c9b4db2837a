// Percentiles of raw latency samples (latency.js keeps every request's time, in µs).

/**
 * The q-quantile (0 < q ≤ 1) of ascending-sorted `sorted` by the nearest-rank method: the
 * smallest sample with at least q of all samples at or below it. null for no samples.
 */
export function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  if (!(q > 0 && q <= 1)) throw new Error(`percentile: q must be in (0, 1], got ${q}`);
  return sorted[Math.ceil(q * sorted.length) - 1];
}
