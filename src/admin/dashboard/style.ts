/**
 * @module admin/dashboard/style
 * The dashboard's stylesheet, inlined into the page (no build step, no CDN; the page's CSP
 * allows exactly this text by its hash).
 */
export const STYLE = String.raw`
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --dim: #6e7781; --line: #d0d7de; --bg2: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --ok: #3fb950; --bad: #f85149; --warn: #d29922; --dim: #8b949e; --line: #30363d; --bg2: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--bg2); }
header h1 { font-size: 18px; margin: 0; }
#config { display: flex; gap: 16px; flex-wrap: wrap; }
#config .rejected { color: var(--bad); }
#conn::before { content: ""; display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; background: var(--dim); }
#conn.live::before { background: var(--ok); }
#conn.down::before { background: var(--bad); }
#auth { margin-left: auto; display: flex; gap: 6px; align-items: center; }
#notice { margin: 10px 16px; padding: 8px 12px; border: 1px solid var(--bad); border-radius: 6px; color: var(--bad); white-space: pre-wrap; }
#notice.info { border-color: var(--line); color: inherit; }
main { padding: 0 16px 24px; }
section.upstream { margin-top: 18px; }
section.upstream h2 { font-size: 16px; margin: 0 0 6px; display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: baseline; }
h2 .meta { font-size: 13px; font-weight: normal; color: var(--dim); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--dim); font-weight: 600; }
tr.server > td:first-child button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; text-decoration: underline dotted; }
.state { font-weight: 600; }
tr[data-available="true"] .state { color: var(--ok); }
tr[data-available="false"] .state { color: var(--bad); }
tr[data-available="false"] { background: color-mix(in srgb, var(--bad) 8%, transparent); }
.why { color: var(--dim); max-width: 32em; }
.why b { color: var(--warn); font-weight: 600; }
.check.failed { color: var(--bad); }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
td[data-unit], .p99, tr.server > td:first-child { white-space: nowrap; }
svg.spark { width: 90px; height: 22px; vertical-align: middle; margin-right: 4px; border-bottom: 1px solid var(--line); }
svg.spark polyline { fill: none; stroke: currentColor; stroke-width: 1.5; }
.err svg.spark { color: var(--bad); }
.breaker-open { color: var(--bad); font-weight: 600; }
.breaker-half_open { color: var(--warn); font-weight: 600; }
.actions { white-space: nowrap; }
.actions button, #auth button { font: inherit; font-size: 12px; padding: 2px 8px; }
.actions input { width: 4.5em; font: inherit; font-size: 12px; }
tr.history td { background: var(--bg2); }
tr.history table td, tr.history table th { border-bottom: 0; padding: 2px 8px; }
.set { color: var(--bad); }
.cleared { color: var(--ok); }
`;
