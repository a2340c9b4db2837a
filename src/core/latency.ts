/**
 * @module core/latency
 * A latency histogram kept in plain numbers on the request path (no registry, no labels,
 * no allocation per observation); /metrics and the dashboard read it when they are asked.
 */

/**
 * Bucket upper bounds in seconds: Prometheus' defaults, extended down to 0.5 ms (a proxy's
 * own time is well under a millisecond) and up to 60 s (a slow upstream's first byte).
 */
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const BOUNDS_MS = LATENCY_BUCKETS.map((s) => s * 1000);

export class LatencyHistogram {
  /** Observations per bucket (not cumulative); the last one is above every bound (+Inf). */
  readonly counts: number[] = new Array<number>(BOUNDS_MS.length + 1).fill(0);
  /** The sum of every observation, in milliseconds. */
  sumMs = 0;
  count = 0;

  observe(ms: number): void {
    let i = 0;
    while (i < BOUNDS_MS.length && ms > BOUNDS_MS[i]!) i++;
    this.counts[i]!++;
    this.sumMs += ms;
    this.count++;
  }
}

/**
 * The q-quantile in milliseconds of per-bucket `counts` (a LatencyHistogram's, or the
 * difference of two readings for a window), interpolated linearly inside its bucket as
 * Prometheus' histogram_quantile() does; the highest bound when it falls above every bound,
 * and NaN with no observations.
 */
export function quantileMs(counts: readonly number[], q: number): number {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return NaN;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (below + c >= rank && c > 0) {
      if (i === BOUNDS_MS.length) return BOUNDS_MS[i - 1]!;
      const lower = i === 0 ? 0 : BOUNDS_MS[i - 1]!;
      return lower + (BOUNDS_MS[i]! - lower) * ((rank - below) / c);
    }
    below += c;
  }
  return BOUNDS_MS[BOUNDS_MS.length - 1]!;
}
