// Turning the per-target summaries (medians over rounds) into a table, the
// per-round ratio line and the verdict.
import { medianRatios, ratioVerdict } from './verdicts.js';

/** Goals for bulwark, relative to http-proxy measured in the same run. */
export const GOALS = { cpuRatioMax: 0.65, rpsRatioMin: 1.5 };

const fmt = (v, digits = 0) => (v == null || Number.isNaN(v) ? '-' : v.toFixed(digits));
const fmtRange = (r, digits = 0) => (r ? `${fmt(r[0], digits)}–${fmt(r[1], digits)}` : '-');

/** A plain-text table, one line per target (medians over rounds, plus min–max spreads). */
export function table(rows) {
  const head = ['target', 'req/s', 'req/s range', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU µs/req', 'CPU range', 'req/s ×hp', 'CPU ×hp', 'LG cores'];
  const lines = [head];
  for (const [name, r] of Object.entries(rows)) {
    if (r.error) {
      lines.push([name, 'FAILED: ' + r.error.split('\n')[0]]);
      continue;
    }
    lines.push([
      name + (name === 'direct' ? ' *' : '') + (r.non2xx + r.errors + r.timeouts > 0 ? ' !' : '') + (r.failed ? ` (${r.failed}/${r.samples} failed)` : ''),
      fmt(r.rps),
      fmtRange(r.rpsRange),
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      String(r.non2xx),
      String(r.errors + r.timeouts),
      fmt(r.cpuUsPerReq, 1),
      fmtRange(r.cpuRange, 1),
      // A load-generator-bound target's req/s measured autocannon: no ratio (sample.js LOADGEN_BOUND).
      r.loadgenBound > 0 ? 'LG-bound' : fmt(r.vsHttpProxy?.rps, 2),
      r.loadgenBound > 0 ? 'LG-bound' : fmt(r.vsHttpProxy?.cpuPerReq, 2),
      fmt(r.loadgenCores, 2),
    ]);
  }
  const full = lines.filter((l) => l.length === head.length); // failure lines don't set widths
  const widths = head.map((_, i) => Math.max(...full.map((l) => l[i].length)));
  const render = (l) =>
    l.length < head.length
      ? l.join('  ') // failure line: no columns
      : l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [render(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1).map(render)].join('\n');
}

/** e.g. "bulwark/http-proxy per round: CPU 0.61 0.64 0.60 | req/s 1.62 1.55 1.70"; null if n/a. */
export function perRoundLine(rows, name = 'bulwark') {
  const pr = rows[name]?.vsHttpProxy?.perRound;
  if (!pr) return null;
  const list = (k) => pr.map((r) => fmt(r[k], 2)).join(' ');
  return `${name}/http-proxy per round: CPU ${list('cpuPerReq')} | req/s ${list('rps')}`;
}

/**
 * What one part costs: each pair is a target with the part and the same without it. The
 * opt-in targets exist to make these pairs (see benchmarks/README.md).
 */
const COSTS = [
  ['access log', 'bulwark', 'bulwark-nolog'],
  ['this build against BENCH_B_CLI', 'bulwark', 'bulwark-b'],
  ['workers (BENCH_WORKERS) over 1 process, scaling', 'bulwark-workers', 'bulwark'],
  ['cluster SCHED_NONE against SCHED_RR', 'bulwark-workers-none', 'bulwark-workers-rr'],
  ["bulwark's default scheduling against SCHED_RR (A/A before a change of default)", 'bulwark-workers', 'bulwark-workers-rr'],
  ['all features', 'bulwark-full', 'bulwark'],
  ['fleet mode, sticky learn (issue 17)', 'bulwark-fleet', 'bulwark-sticky', 'goal: CPU per request ≤ 1.10×, p99 ≤ 1.10×'],
  ...['health', 'outlier', 'breaker', 'retries'].map((f) => [`${f} alone`, `bulwark-with-${f}`, 'bulwark']),
  ['this build against BENCH_B_CLI, all features', 'bulwark-full', 'bulwark-full-b'],
  ['metrics scraped (BENCH_SCRAPE_MS)', 'bulwark-scraped', 'bulwark'],
  ['forwarding fields', 'undici-fwd', 'undici'],
  ['access log on the floor', 'undici-fwd-log', 'undici-fwd'],
  // The floor skips per-request work bulwark must do too, so this is not all optional extras.
  [
    'rest of bulwark',
    'bulwark',
    'undici-fwd-log',
    'includes what the undici-fwd-log floor leaves out but every request gets: dropping the fields a Connection ' +
      'header names (RFC 9110 §7.6.1), the response X-Request-Id, Host validation; beyond that routing, ' +
      'scheduling, fault-tolerance bookkeeping and the request checks',
  ],
];

/**
 * One line per pair of COSTS whose two targets are both in the run: the medians over
 * rounds of the with/without ratios of CPU per request, req/s and p99 (both measured in the
 * same round, taking turns), and the per-round CPU ratios; or why there is no figure (the
 * same rules as the verdict: no non-2xx or errors, at least two rounds).
 */
export function costLines(samples) {
  const lines = [];
  // bulwark-workers-N over bulwark: the scaling curve's points (issue 15's goal: req/s ≥ 0.8 × N).
  const scaling = Object.keys(samples)
    .filter((n) => /^bulwark-workers-\d+$/.test(n))
    .map((n) => [`${n.slice('bulwark-workers-'.length)} workers over 1 process, scaling`, n, 'bulwark', `goal: req/s ≥ 0.8 × ${n.slice('bulwark-workers-'.length)}`]);
  for (const [part, withIt, without, note] of [...COSTS, ...scaling]) {
    if (!samples[withIt] || !samples[without]) continue;
    const { rounds, reasons, cpu, rps, p99 } = medianRatios(samples, withIt, without);
    if (reasons.length > 0) lines.push(`${part}: ${withIt}/${without} no figure: ${reasons.join('; ')}`);
    else {
      lines.push(
        `${part}: ${withIt}/${without} CPU per request ${fmt(cpu, 3)}×, ` +
          `req/s ${fmt(rps, 3)}×, p99 ${fmt(p99, 2)}× ` +
          `(CPU per round: ${rounds.map((r) => fmt(r.cpuPerReq, 2)).join(' ')})`,
      );
    }
    if (note) lines.push(`  (${note})`);
  }
  return lines;
}

/**
 * The PASS/FAIL line for bulwark's two goals (median per-round ratios), or "no verdict" and
 * why (lib/verdicts.js: non-2xx or errors on either side, fewer than two rounds).
 */
export function verdict(rows, samples) {
  const v = ratioVerdict(samples, GOALS);
  if (v.pass === null) return { ...v, line: `verdict: none: ${v.reasons.join('; ')}` };
  const b = rows.bulwark;
  const hp = rows['http-proxy'];
  const line =
    `verdict (median of ${v.rounds} per-round ratios): ` +
    `CPU/req ${v.cpuOk ? 'PASS' : 'FAIL'} (${fmt(v.cpuRatio, 2)}× http-proxy, goal ≤ ${GOALS.cpuRatioMax}×; ` +
    `medians ${fmt(b.cpuUsPerReq, 1)} vs ${fmt(hp.cpuUsPerReq, 1)} µs)  |  ` +
    `req/s ${v.rpsOk ? 'PASS' : 'FAIL'} (${fmt(v.rpsRatio, 2)}× http-proxy, goal ≥ ${GOALS.rpsRatioMin}×; ` +
    `medians ${fmt(b.rps)} vs ${fmt(hp.rps)})`;
  return { ...v, line };
}
