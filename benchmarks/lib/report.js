// Turning measurements into ratios, a table and a verdict.

/** Goals for bulwark, relative to http-proxy measured in the same run. */
export const GOALS = { cpuRatioMax: 0.65, rpsRatioMin: 1.5 };

const fmt = (v, digits = 0) => (v == null || Number.isNaN(v) ? '-' : v.toFixed(digits));

/** Add `vsHttpProxy` ratios to every row (needs an http-proxy row). */
export function addRatios(rows) {
  const base = rows['http-proxy'];
  for (const row of Object.values(rows)) {
    if (!base || row.error) continue;
    row.vsHttpProxy = {
      rps: row.rps / base.rps,
      cpuPerReq: row.cpuUsPerReq / base.cpuUsPerReq,
    };
  }
}

/** A plain-text table, one line per target. */
export function table(rows) {
  const head = ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU µs/req', 'req/s ×hp', 'CPU ×hp'];
  const lines = [head];
  for (const [name, r] of Object.entries(rows)) {
    if (r.error) {
      lines.push([name, 'FAILED: ' + r.error.split('\n')[0]]);
      continue;
    }
    lines.push([
      name + (name === 'direct' ? ' *' : ''),
      fmt(r.rps),
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      String(r.non2xx),
      String(r.errors + r.timeouts),
      fmt(r.cpuUsPerReq, 1),
      fmt(r.vsHttpProxy?.rps, 2),
      fmt(r.vsHttpProxy?.cpuPerReq, 2),
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

/** The PASS/FAIL line for bulwark's two goals, or null-ish when not measurable. */
export function verdict(rows) {
  const b = rows.bulwark;
  if (!b || b.error || !b.vsHttpProxy) {
    return { pass: null, line: 'verdict: n/a (needs bulwark and http-proxy in the same run)' };
  }
  const cpuOk = b.vsHttpProxy.cpuPerReq <= GOALS.cpuRatioMax;
  const rpsOk = b.vsHttpProxy.rps >= GOALS.rpsRatioMin;
  const line =
    `verdict: CPU/req ${cpuOk ? 'PASS' : 'FAIL'} (${fmt(b.vsHttpProxy.cpuPerReq, 2)}× http-proxy, goal ≤ ${GOALS.cpuRatioMax}×; ` +
    `${fmt(b.cpuUsPerReq, 1)} vs ${fmt(rows['http-proxy'].cpuUsPerReq, 1)} µs)  |  ` +
    `req/s ${rpsOk ? 'PASS' : 'FAIL'} (${fmt(b.vsHttpProxy.rps, 2)}× http-proxy, goal ≥ ${GOALS.rpsRatioMin}×; ` +
    `${fmt(b.rps)} vs ${fmt(rows['http-proxy'].rps)})`;
  return { pass: cpuOk && rpsOk, cpuOk, rpsOk, line };
}
