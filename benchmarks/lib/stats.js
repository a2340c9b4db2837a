// Aggregating samples over rounds: medians, min–max spreads, per-round ratios.

const finite = (xs) => xs.filter((x) => x != null && Number.isFinite(x));

/** Median of the finite values (mean of the middle two for an even count); null if none. */
export function median(xs) {
  const v = finite(xs).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** [min, max] of the finite values; null if none. */
export function range(xs) {
  const v = finite(xs);
  return v.length ? [Math.min(...v), Math.max(...v)] : null;
}

const sum = (xs) => xs.reduce((s, x) => s + (x ?? 0), 0);
const ratio = (a, b) => (a != null && b ? a / b : null);

/**
 * One target's samples (one per round; failed ones are { round, error }) -> its
 * summary row: medians of req/s, p50, p99, CPU µs/req; min–max of req/s and
 * CPU µs/req; sums of counts. A row with no good sample is { error }.
 */
export function summarize(samples) {
  const ok = samples.filter((s) => !s.error);
  const failed = samples.length - ok.length;
  if (ok.length === 0) return { error: samples.find((s) => s.error)?.error ?? 'no samples', samples: samples.length, failed };
  const col = (k) => ok.map((s) => s[k]);
  const row = {
    samples: samples.length,
    failed,
    rps: median(col('rps')),
    rpsRange: range(col('rps')),
    p50: median(col('p50')),
    p99: median(col('p99')),
    cpuUsPerReq: median(col('cpuUsPerReq')),
    cpuRange: range(col('cpuUsPerReq')),
    loadgenCores: median(col('loadgenCores')),
    loadgenBound: ok.filter((s) => s.loadgenBound).length,
  };
  if (ok[0].workers != null) row.workers = ok[0].workers; // bulwark's process count (chart's scaling curve)
  for (const k of ['non2xx', 'errors', 'timeouts', 'completed', 'warmupRequests']) row[k] = sum(col(k));
  if (ok.some((s) => s.accessLogLines != null)) row.accessLogLines = sum(col('accessLogLines'));
  return row;
}

/**
 * Target `name` over target `base`, round by round (both measured in the same round):
 * [{ round, rps, cpuPerReq, p99 }], null ratios where either sample failed (p99 also where
 * the base's p99 is 0: autocannon records whole milliseconds).
 */
export function perRoundRatios(samples, name, base) {
  const bs = samples[base];
  return samples[name].map((s, i) => {
    const b = bs[i];
    if (!b || s.error || b.error) return { round: i + 1, rps: null, cpuPerReq: null, p99: null };
    return { round: i + 1, rps: ratio(s.rps, b.rps), cpuPerReq: ratio(s.cpuUsPerReq, b.cpuUsPerReq), p99: ratio(s.p99, b.p99) };
  });
}

/**
 * Add `vsHttpProxy` to every row: ratios to http-proxy computed per round
 * (target round i / http-proxy round i, rounds where both succeeded) and
 * their medians. `samples[name][i]` is the target's sample of round i + 1.
 */
export function addRatios(rows, samples, base = 'http-proxy') {
  if (!samples[base]) return;
  for (const [name, row] of Object.entries(rows)) {
    if (row.error) continue;
    const perRound = perRoundRatios(samples, name, base);
    const rps = median(perRound.map((r) => r.rps));
    const cpuPerReq = median(perRound.map((r) => r.cpuPerReq));
    if (rps != null || cpuPerReq != null) row.vsHttpProxy = { rps, cpuPerReq, perRound };
  }
}
