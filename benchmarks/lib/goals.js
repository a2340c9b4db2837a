// Issue 15's goals as PASS/FAIL lines of run.js, as pure functions of the samples (unit
// tests: test/unit/bench/goals.test.ts). Each goal is judged on medians of per-round ratios
// (both sides measured in the same round, taking turns), by the rules of verdicts.js: no
// verdict on faults, on a load-generator-bound side or on fewer than two rounds. A goal
// whose targets are not in the run prints nothing.
import { medianRatios, ratioVerdict } from './verdicts.js';

/** Every feature on (`bulwark-full`, one process) against http-proxy. */
export const FULL_GOALS = { cpuRatioMax: 0.5, rpsRatioMin: 2 };
/** What the features may cost: `bulwark-full` over `bulwark` (plain). */
export const FEATURE_COST = { cpuRatioMax: 1.05, p99RatioMax: 1.2 };
/** N workers serve at least this × N the req/s of one process. */
export const SCALING_MIN = 0.8;
/** The many-core goal: this many workers with every feature on out-serve nginx's one worker. */
export const NGINX_WORKERS = 4;

const fmt = (v, digits = 2) => (v == null ? '-' : v.toFixed(digits));
const mark = (ok) => (ok ? 'PASS' : 'FAIL');

/** How many CPUs a taskset list names ("1", "2-3", "1,4-5"). */
export function cpuCount(list) {
  return list.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

const none = (goal, reasons) => `${goal}: no verdict: ${reasons.join('; ')}`;

/**
 * The PASS/FAIL lines for issue 15's goals whose targets ran. `pin` is BENCH_PIN parsed
 * ({ proxy, rest } or null): scaling is judged only with the proxy pinned to at least N
 * cores of its own, since N workers sharing fewer cores (or the load generator's) measure
 * the machine, not bulwark.
 */
export function issue15Lines(samples, pin) {
  const lines = [];
  const has = (...names) => names.every((n) => samples[n]);
  if (has('bulwark-full', 'http-proxy')) {
    const v = ratioVerdict(samples, FULL_GOALS, 'bulwark-full');
    const goal = `all features, 1 process, vs http-proxy (CPU ≤ ${FULL_GOALS.cpuRatioMax}×, req/s ≥ ${FULL_GOALS.rpsRatioMin}×)`;
    lines.push(v.pass === null ? none(goal, v.reasons) : `${goal}: CPU/req ${mark(v.cpuOk)} ${fmt(v.cpuRatio)}× | req/s ${mark(v.rpsOk)} ${fmt(v.rpsRatio)}×`);
  }
  if (has('bulwark-full', 'bulwark')) {
    const r = medianRatios(samples, 'bulwark-full', 'bulwark');
    const goal = `all features vs plain (CPU ≤ ${FEATURE_COST.cpuRatioMax}×, p99 ≤ ${FEATURE_COST.p99RatioMax}×)`;
    const reasons = r.reasons.length > 0 || r.p99 != null ? r.reasons : ['no round with a p99 to compare'];
    if (reasons.length > 0) lines.push(none(goal, reasons));
    else lines.push(`${goal}: CPU/req ${mark(r.cpu <= FEATURE_COST.cpuRatioMax)} ${fmt(r.cpu, 3)}× | p99 ${mark(r.p99 <= FEATURE_COST.p99RatioMax)} ${fmt(r.p99)}×`);
  }
  for (const name of Object.keys(samples).filter((n) => /^bulwark-workers-\d+$/.test(n))) {
    const n = Number(name.slice('bulwark-workers-'.length));
    if (!has('bulwark')) continue;
    const goal = `${n} workers over 1 process (req/s ≥ ${fmt(SCALING_MIN * n, 1)}×)`;
    const cores = pin ? cpuCount(pin.proxy) : 0;
    if (cores < n) {
      lines.push(`${goal}: not judged: ${pin ? `${cores} proxy core${cores === 1 ? '' : 's'} (BENCH_PIN)` : 'unpinned (no BENCH_PIN)'}; needs the proxy pinned to ≥ ${n} cores of its own`);
      continue;
    }
    const r = medianRatios(samples, name, 'bulwark');
    lines.push(r.reasons.length > 0 ? none(goal, r.reasons) : `${goal}: ${mark(r.rps >= SCALING_MIN * n)} ${fmt(r.rps)}×`);
  }
  const many = `bulwark-full-workers-${NGINX_WORKERS}`;
  if (has(many, 'nginx')) {
    const goal = `${NGINX_WORKERS} workers, all features, vs nginx with 1 worker (req/s > 1×)`;
    const r = medianRatios(samples, many, 'nginx');
    lines.push(r.reasons.length > 0 ? none(goal, r.reasons) : `${goal}: ${mark(r.rps > 1)} ${fmt(r.rps)}×`);
  }
  return lines;
}
