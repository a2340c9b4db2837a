/**
 * @module admin/dashboard/rates
 * The dashboard's per-tick numbers, from cumulative counters: each tick diffs a server's
 * `requests`/`errors` totals against the previous tick (per second of clock time), and an
 * upstream's latency bucket counts against the previous tick for a windowed p99 (as
 * Prometheus' histogram_quantile over rate() does). Pure: the feed holds the previous
 * sample and the clock.
 */

/** Cumulative counters of one server at one moment. */
export interface CounterSample {
  readonly requests: number;
  readonly errors: number;
}

export interface Rates {
  /** Requests per second over the window; null on the first tick of a server. */
  readonly rps: number | null;
  readonly eps: number | null;
}

/**
 * Per-second rates between two samples `elapsedMs` apart. A counter that went down belongs
 * to a new server object (a reload replaced it), so that window counts from zero.
 */
export function counterRates(prev: CounterSample | undefined, cur: CounterSample, elapsedMs: number): Rates {
  if (prev === undefined || !(elapsedMs > 0)) return { rps: null, eps: null };
  const per = (a: number, b: number): number => ((b >= a ? b - a : b) * 1000) / elapsedMs;
  return { rps: per(prev.requests, cur.requests), eps: per(prev.errors, cur.errors) };
}

/**
 * The per-bucket counts observed between two readings of a latency histogram (each reading
 * counts since start), for core/latency's quantileMs. undefined without a previous reading
 * or when the layouts differ; a bucket that went down (a new histogram) counts from zero.
 */
export function windowCounts(prev: readonly number[] | undefined, cur: readonly number[] | undefined): number[] | undefined {
  if (prev === undefined || cur === undefined || prev.length !== cur.length) return undefined;
  return cur.map((c, i) => (c >= prev[i]! ? c - prev[i]! : c));
}
