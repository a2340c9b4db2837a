// `node benchmarks/chart.js [RESULTS.json] [OUT.svg]`: a self-contained SVG chart of a bench
// result (req/s, CPU per request, p50/p99 per target; the workers' scaling curve when the
// result has several worker counts). Defaults: benchmarks/results/latest.json, written next
// to it with the extension .svg. See lib/svg-chart.js.
import fs from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './lib/targets.js';
import { buildChart } from './lib/svg-chart.js';

const input = process.argv[2] ?? path.join(BENCH_DIR, 'results', 'latest.json');
const output = process.argv[3] ?? input.replace(/\.json$/, '') + '.svg';
let results;
try {
  results = JSON.parse(fs.readFileSync(input, 'utf8'));
} catch (e) {
  console.error(`chart: cannot read ${input}: ${e.message}`);
  process.exit(1);
}
if (!results || typeof results.targets !== 'object') {
  console.error(`chart: ${input} is not a result of benchmarks/run.js (no "targets")`);
  process.exit(1);
}
fs.writeFileSync(output, buildChart(results));
console.log(`chart: ${path.relative(process.cwd(), output)}`);
