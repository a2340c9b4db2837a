// Whether a benchmark may print a verdict at all, and which, as pure functions of its
// samples (unit tests: test/unit/bench/verdicts.test.ts). A ratio means nothing when a
// target answered errors (a proxy that answers fast 502s scores better), when what it
// claims to measure did not happen (no snapshot during the load, every reload rejected),
// or when it rests on one round (one round's ratio swings by ±10–40% here). Each function
// returns { pass: true | false | null, reasons }: null is "no verdict", and `reasons` says
// why, to be printed.
import { median, perRoundRatios } from './stats.js';

/** The fewest rounds a median of per-round ratios may rest on. */
export const MIN_ROUNDS = 2;

const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Why `name`'s samples cannot be compared: the non-2xx responses and the errors (timeouts
 * included) summed over its samples that ran (failed samples, { error }, have none); null
 * when there are none.
 */
export function faultsOf(name, samples) {
  let non2xx = 0;
  let errors = 0;
  for (const s of samples) {
    if (s.error) continue;
    non2xx += s.non2xx ?? 0;
    errors += (s.errors ?? 0) + (s.timeouts ?? 0);
  }
  if (non2xx === 0 && errors === 0) return null;
  const what = [non2xx > 0 ? `${non2xx} non-2xx` : '', errors > 0 ? count(errors, 'error') : ''].filter(Boolean).join(' and ');
  return `${name} had ${what} in its measured load`;
}

/**
 * `name` against `base`, round by round: the rounds where both were measured ({ round,
 * rps, cpuPerReq }) and the reasons no figure may be drawn from them (faults of either,
 * fewer than MIN_ROUNDS such rounds).
 */
export function comparison(samples, name, base) {
  const reasons = [];
  for (const t of [name, base]) {
    if (!samples[t]) reasons.push(`${t} is not in the run`);
    else {
      const f = faultsOf(t, samples[t]);
      if (f) reasons.push(f);
    }
  }
  if (!samples[name] || !samples[base]) return { rounds: [], reasons };
  const rounds = perRoundRatios(samples, name, base).filter((r) => r.rps != null && r.cpuPerReq != null);
  for (const t of [name, base]) {
    const bound = rounds.filter((r) => samples[t][r.round - 1].loadgenBound).map((r) => r.round);
    if (bound.length > 0) reasons.push(`${t} was load-generator-bound (autocannon at ≥ 90% of a core) in round ${bound.join(', ')}`);
  }
  if (rounds.length < MIN_ROUNDS) {
    reasons.push(`${count(rounds.length, 'round')} with both ${name} and ${base} measured (needs ${MIN_ROUNDS})`);
  }
  return { rounds, reasons };
}

/**
 * `name` over `base`: the medians of the per-round ratios of CPU per request, req/s and p99,
 * with the rounds they rest on and comparison()'s reasons there may be no figure.
 */
export function medianRatios(samples, name, base) {
  const { rounds, reasons } = comparison(samples, name, base);
  const of = (k) => median(rounds.map((r) => r[k]));
  return { reasons, rounds, cpu: of('cpuPerReq'), rps: of('rps'), p99: of('p99') };
}

/**
 * run.js: `name` against `base` on the medians of the per-round ratios, with goals
 * { cpuRatioMax, rpsRatioMin }. `samples[target][i]` is the target's sample of round i + 1.
 */
export function ratioVerdict(samples, goals, name = 'bulwark', base = 'http-proxy') {
  const { rounds, reasons, cpu: cpuRatio, rps: rpsRatio } = medianRatios(samples, name, base);
  if (reasons.length > 0) return { pass: null, reasons, rounds: rounds.length, cpuRatio, rpsRatio };
  const cpuOk = cpuRatio <= goals.cpuRatioMax;
  const rpsOk = rpsRatio >= goals.rpsRatioMin;
  return { pass: cpuOk && rpsOk, cpuOk, rpsOk, reasons, rounds: rounds.length, cpuRatio, rpsRatio };
}

/**
 * backup.js: the agent's snapshot_created lines ({ time: when it ended, epoch ms;
 * duration_ms }) that overlap the measured load [t0, t1] (epoch ms): how many, their
 * durations, and how many ms of the load a snapshot was running.
 */
export function snapshotOverlap(snaps, t0, t1) {
  const over = snaps.filter((s) => s.time - s.duration_ms < t1 && s.time > t0);
  const spans = over.map((s) => [Math.max(s.time - s.duration_ms, t0), Math.min(s.time, t1)]).sort((a, b) => a[0] - b[0]);
  let coveredMs = 0;
  let end = -Infinity;
  for (const [a, b] of spans) {
    const from = Math.max(a, end);
    if (b > from) coveredMs += b - from;
    end = Math.max(end, b);
  }
  return { count: over.length, durationsMs: over.map((s) => s.duration_ms), coveredMs };
}

/**
 * backup.js: p99 with snapshots over p99 without, per round, then the median, against
 * `ratioMax`. `none[i]` and `snapshots[i]` are round i + 1's samples ({ p99, non2xx,
 * errors, snapshots }; `snapshots` counts those that overlapped the measured load).
 */
export function p99Verdict({ none, snapshots }, ratioMax) {
  const reasons = [faultsOf('none', none), faultsOf('snapshots', snapshots)].filter(Boolean);
  const missing = snapshots.map((s, i) => (s.snapshots > 0 ? 0 : i + 1)).filter((r) => r > 0);
  if (missing.length > 0) reasons.push(`no snapshot overlapped the measured load in round ${missing.join(', ')}`);
  if (none.length < MIN_ROUNDS) reasons.push(`${count(none.length, 'round')} (needs ${MIN_ROUNDS})`);
  const perRound = none.map((n, i) => (n.p99 > 0 && snapshots[i] ? snapshots[i].p99 / n.p99 : null));
  const ratio = median(perRound);
  if (ratio == null) reasons.push('no round with a p99 to compare');
  if (reasons.length > 0) return { pass: null, reasons, ratio, perRound };
  return { pass: ratio <= ratioMax, reasons, ratio, perRound };
}

/** Reasons a reload measurement measured no reload: none applied, or any rejected. */
function reloadReasons(part, applied, rejected) {
  const reasons = [];
  if (applied === 0) reasons.push(`${part}: no reload applied`);
  if (rejected > 0) reasons.push(`${part}: ${count(rejected, 'reload')} rejected`);
  return reasons;
}

/**
 * reload.js, both parts. (a) `latency` { applied, rejected, failed, maxMs }: every save
 * served, the slowest under `goals.saveToServeMaxMs`. (b) `load` { reloadsApplied,
 * reloadsRejected, errors, timeouts, non2xx }: no errors and no non-2xx while reloading.
 */
export function reloadVerdict({ latency, load }, goals) {
  const judge = (reasons, ok) => (reasons.length > 0 ? { pass: null, reasons } : { pass: ok, reasons });
  return {
    saveToServe: judge(
      reloadReasons('save→serve', latency.applied, latency.rejected),
      latency.failed === 0 && latency.maxMs != null && latency.maxMs < goals.saveToServeMaxMs,
    ),
    underLoad: judge(
      reloadReasons('under load', load.reloadsApplied, load.reloadsRejected),
      load.errors + load.timeouts === goals.errorsUnderLoad && load.non2xx === goals.non2xxUnderLoad,
    ),
  };
}
