// A self-contained SVG of a bench result (chart.js): horizontal bars of req/s, CPU per
// request and p50/p99 per target, and the workers' scaling curve when the result has
// several worker counts. Pure functions (string in, string out): no dependencies, no CDN.

const W = 900; // chart width, px
const LABEL = 170; // room for target names left of the bars
const VALUE = 90; // room for the value right of the bars
const BAR = 16;
const GAP = 6;
const COLORS = ['#3b6ea8', '#d9822b', '#4c9a52', '#a34d8f'];

/** The smallest 1, 2 or 5 × 10^k at or above v (the axis end); 1 for v ≤ 0 or not finite. */
export function niceCeil(v) {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Pixels for `value` on an axis from 0 to `max` drawn `length` px long (clamped to it). */
export function scale(value, max, length) {
  if (!(value > 0) || !(max > 0)) return 0;
  return Math.min(length, (value / max) * length);
}

export const escapeXml = (s) => String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const text = (x, y, s, attrs = '') => `<text x="${x}" y="${y}"${attrs ? ' ' + attrs : ''}>${escapeXml(s)}</text>`;

/**
 * One panel of horizontal bars at height y: `series` names the values of each row (one bar
 * per series, in COLORS order). Returns { svg, height }. Rows without a value draw no bar.
 */
export function barPanel(title, unit, rows, series, y) {
  const len = W - LABEL - VALUE - 20;
  const max = niceCeil(Math.max(0, ...rows.flatMap((r) => series.map((k) => r[k] ?? 0))));
  const out = [text(10, y + 16, `${title} (${unit}; axis 0–${fmt(max)})`, 'class="t"')];
  let cy = y + 28;
  if (series.length > 1) {
    series.forEach((k, i) => out.push(`<rect x="${W - 200 + i * 90}" y="${y + 6}" width="12" height="12" fill="${COLORS[i]}"/>`, text(W - 184 + i * 90, y + 16, k)));
  }
  for (const r of rows) {
    out.push(text(LABEL - 8, cy + BAR * series.length / 2 + 4, r.name, 'text-anchor="end"'));
    series.forEach((k, i) => {
      const v = r[k];
      const by = cy + i * BAR;
      if (v != null) out.push(`<rect x="${LABEL}" y="${by}" width="${scale(v, max, len).toFixed(1)}" height="${BAR - 2}" fill="${COLORS[i]}"/>`);
      out.push(text(LABEL + scale(v, max, len) + 6, by + BAR - 4, v == null ? '-' : fmt(v)));
    });
    cy += BAR * series.length + GAP;
  }
  return { svg: out.join('\n'), height: cy - y + 10 };
}

/**
 * The workers' scaling curve: measured req/s against the worker count, with linear scaling
 * from the smallest count (dashed) and issue 15's goal, 0.8 × linear (dotted).
 */
export function scalingPanel(points, y) {
  const h = 220;
  const [x0, x1, y0, y1] = [LABEL, W - VALUE, y + 30, y + h - 30];
  const base = points[0];
  const perWorker = base.rps / base.workers;
  const maxN = points[points.length - 1].workers;
  const max = niceCeil(Math.max(...points.map((p) => p.rps), perWorker * maxN));
  const px = (n) => x0 + ((n - base.workers) / Math.max(1, maxN - base.workers)) * (x1 - x0);
  const py = (v) => y1 - scale(v, max, y1 - y0);
  const line = (pts, attrs) => `<polyline fill="none" ${attrs} points="${pts.map(([n, v]) => `${px(n).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"/>`;
  const out = [
    text(10, y + 16, `workers scaling (req/s; axis 0–${fmt(max)})`, 'class="t"'),
    `<line x1="${x0}" y1="${y1}" x2="${x1}" y2="${y1}" stroke="#888"/><line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#888"/>`,
    line([[base.workers, base.rps], [maxN, perWorker * maxN]], 'stroke="#888" stroke-dasharray="6 4"'),
    line([[base.workers, 0.8 * base.rps], [maxN, 0.8 * perWorker * maxN]], 'stroke="#c33" stroke-dasharray="2 3"'),
    line(points.map((p) => [p.workers, p.rps]), `stroke="${COLORS[0]}" stroke-width="2"`),
    text(x1 - 190, y0 + 4, 'dashed: linear; dotted: goal 0.8×N'),
  ];
  for (const p of points) {
    out.push(`<circle cx="${px(p.workers).toFixed(1)}" cy="${py(p.rps).toFixed(1)}" r="3.5" fill="${COLORS[0]}"/>`);
    out.push(text(px(p.workers), y1 + 16, `${p.workers}`, 'text-anchor="middle"'), text(px(p.workers) + 6, py(p.rps) - 6, fmt(p.rps)));
  }
  return { svg: out.join('\n'), height: h };
}

/**
 * The worker count of a result row: its `workers` field, or a name like `bulwark-w4` or
 * `bulwark-workers-4`; null otherwise.
 */
export function workersOf(name, row) {
  if (Number.isInteger(row.workers)) return row.workers;
  const m = /-w(?:orkers)?-?(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

const SCALING_NAME = /^bulwark(-workers(-\d+)?|-w\d+)?$/;

/** The whole SVG for a results JSON of run.js (`targets`: name -> medians; failed rows skipped). */
export function buildChart(results) {
  const rows = Object.entries(results.targets ?? {})
    .filter(([, r]) => r && !r.error)
    .map(([name, r]) => ({ name, rps: r.rps, cpu: r.cpuUsPerReq, p50: r.p50, p99: r.p99, workers: workersOf(name, r) }));
  const c = results.config ?? {};
  const sub = `${results.startedAt ?? ''} · ${c.rounds ?? '?'} rounds × ${c.duration ?? '?'} s, ${c.connections ?? '?'} connections${c.pin ? `, pinned ${c.pin.proxy}:${c.pin.rest}` : ''} · medians over rounds`;
  const parts = [text(10, 24, 'bulwark bench', 'class="h"'), text(10, 44, sub)];
  let y = 56;
  for (const [title, unit, series] of [
    ['throughput', 'req/s', ['rps']],
    ['CPU per request', 'µs', ['cpu']],
    ['latency', 'ms', ['p50', 'p99']],
  ]) {
    const p = barPanel(title, unit, rows, series, y);
    parts.push(p.svg);
    y += p.height;
  }
  // Only plain bulwark and its worker targets are on the curve: bulwark-full and the other
  // variants have a worker count too but other settings.
  const byWorkers = new Map();
  for (const r of rows) {
    if (r.workers == null || r.rps == null || !SCALING_NAME.test(r.name) || byWorkers.has(r.workers)) continue;
    byWorkers.set(r.workers, r.rps);
  }
  if (byWorkers.size > 1) {
    const points = [...byWorkers].map(([workers, rps]) => ({ workers, rps })).sort((a, b) => a.workers - b.workers);
    const p = scalingPanel(points, y);
    parts.push(p.svg);
    y += p.height;
  }
  // The verdict as run.js printed it, and what the direct bar's CPU is.
  // run.js joins the goals with '  |  ': one line each, to fit the width.
  for (const line of [...(results.verdict?.line ?? '').split('  |  '), rows.some((r) => r.name === 'direct') ? "direct: no proxy; its CPU bar is the origins' CPU per request" : null]) {
    if (line) parts.push(text(10, (y += 18), line));
  }
  y += 12;
  const style = '<style>text{font:12px sans-serif;fill:#222}.t{font-weight:bold}.h{font-size:16px;font-weight:bold}</style>';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}">\n${style}\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}
