// bulwark benchmark harness: `npm run bench` (= node benchmarks/run.js).
//
// One run measures, against the same three local origin processes:
//   direct      straight to one origin, no proxy (CPU column = the origins' CPU, informational)
//   bulwark     node dist/cli/main.js start -c <conf>  (round-robin, JSON access log -> file)
//   http-proxy  node-http-proxy with a keep-alive agent, round-robin (the baseline peer)
//   undici      bare node:http -> undici Pool pass-through (the floor for a Node proxy)
//
// For each target: start it, warm up, run autocannon, and read the target's
// CPU time (utime+stime from /proc/<pid>/stat) right before and after the run.
// CPU µs/request = CPU time delta / completed requests.
//
// Environment knobs:
//   BENCH_DURATION     seconds of measured load per target (default 10)
//   BENCH_CONNECTIONS  concurrent autocannon connections   (default 50)
//   BENCH_WARMUP       seconds of unmeasured warm-up load  (default 2)
//   BENCH_TARGETS      comma list of targets to run, e.g. "direct,bulwark"
//                      (default: direct,bulwark,http-proxy,undici)
//
// Output: a table on stdout, a one-line verdict for bulwark's goals
// (CPU/req ≤ 0.65× and req/s ≥ 1.5× http-proxy), and the full results as JSON in
// benchmarks/results/<timestamp>.json and benchmarks/results/latest.json.
// Linux only (reads /proc). Everything stays on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { CLK_TCK, cpuSeconds, stopAll } from './lib/proc.js';
import { TARGETS, BENCH_DIR, BULWARK_CLI, startOrigins } from './lib/targets.js';
import { addRatios, table, verdict, GOALS } from './lib/report.js';

const num = (name, def) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const DURATION = num('BENCH_DURATION', 10);
const CONNECTIONS = Math.round(num('BENCH_CONNECTIONS', 50));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2); // 0 disables warm-up
const PIPELINING = 1;
const ORIGINS = 3;
const targetNames = (process.env.BENCH_TARGETS ?? Object.keys(TARGETS).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

for (const t of targetNames) {
  if (!TARGETS[t]) {
    console.error(`unknown target "${t}" in BENCH_TARGETS (known: ${Object.keys(TARGETS).join(', ')})`);
    process.exit(2);
  }
}
if (targetNames.includes('bulwark') && !fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${path.relative(process.cwd(), BULWARK_CLI)} is missing): run \`npm run build\` first,`);
  console.error('or leave bulwark out with e.g. BENCH_TARGETS=direct,http-proxy,undici');
  process.exit(1);
}

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-'));

// Cleanup: stop every child, remove the temp dir. Runs once.
let cleaned;
function cleanup() {
  cleaned ??= stopAll().finally(() => fs.rmSync(tmpDir, { recursive: true, force: true }));
  return cleaned;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping children...`);
    cleanup().finally(() => process.exit(130));
  });
}
// Hard bound on the whole run: per target warm-up + duration + 30 s slack for start/stop.
const budgetMs = (targetNames.length * (WARMUP + DURATION + 30) + 30) * 1000;
setTimeout(() => {
  console.error(`benchmark exceeded its ${budgetMs / 1000} s budget; aborting`);
  cleanup().finally(() => process.exit(1));
}, budgetMs).unref();

/** Run autocannon and resolve with its result. */
function load(url, seconds) {
  return autocannon({ url, connections: CONNECTIONS, pipelining: PIPELINING, duration: seconds });
}

/** Benchmark one target; resolves with its row for the table/JSON. */
async function measure(name, origins) {
  const t = await TARGETS[name]({ origins, tmpDir });
  try {
    let warmupRequests = 0;
    if (WARMUP > 0) warmupRequests = (await load(t.url, WARMUP)).requests.total;
    const cpu0 = t.cpuPids.reduce((s, pid) => s + cpuSeconds(pid), 0);
    const r = await load(t.url, DURATION);
    const cpu1 = t.cpuPids.reduce((s, pid) => s + cpuSeconds(pid), 0);
    const completed = r.requests.total;
    const row = {
      url: t.url,
      rps: r.requests.mean,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      completed,
      warmupRequests,
      cpuSeconds: cpu1 - cpu0,
      cpuUsPerReq: completed > 0 ? ((cpu1 - cpu0) * 1e6) / completed : null,
      autocannon: r,
    };
    await t.stop();
    if (t.after) Object.assign(row, t.after());
    return row;
  } finally {
    await t.stop();
  }
}

async function main() {
  const startedAt = new Date();
  console.log(
    `bench: ${targetNames.join(', ')} | ${DURATION}s x ${CONNECTIONS} connections, pipelining ${PIPELINING}, warm-up ${WARMUP}s | ` +
      `node ${process.version}, ${os.cpus().length} CPUs`,
  );
  const origins = await startOrigins(ORIGINS);
  console.log(`origins on ports ${origins.map((o) => o.port).join(', ')}`);

  const rows = {};
  for (const name of targetNames) {
    process.stdout.write(`running ${name}... `);
    try {
      rows[name] = await measure(name, origins);
      console.log(`${Math.round(rows[name].rps)} req/s`);
    } catch (e) {
      rows[name] = { error: e.message };
      console.log('FAILED');
      console.error(e.message);
    }
  }
  addRatios(rows);

  console.log('\n' + table(rows));
  if (rows.direct && !rows.direct.error) console.log('* direct: CPU column is the origins\' CPU per request (no proxy), informational.');
  const b = rows.bulwark;
  if (b && !b.error) {
    const expected = b.warmupRequests + b.completed;
    console.log(
      `bulwark access log: ${b.accessLogLines} lines for ${expected} requests (warm-up + measured; ` +
        `autocannon may also abort a few in flight at the end; startup log lines count too)`,
    );
  }
  const v = verdict(rows);
  console.log('\n' + v.line);

  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: { duration: DURATION, connections: CONNECTIONS, pipelining: PIPELINING, warmup: WARMUP, origins: ORIGINS, targets: targetNames },
    env: { node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().map((c) => c.model), clkTck: CLK_TCK },
    goals: GOALS,
    targets: rows,
    verdict: v,
  };
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  const json = JSON.stringify(result, null, 2) + '\n';
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(dir, 'latest.json'), json);
  console.log(`results: ${path.relative(process.cwd(), file)} (and results/latest.json)`);
  return Object.values(rows).some((r) => r.error) ? 1 : 0;
}

main()
  .then(
    (code) => cleanup().then(() => code),
    (e) => {
      console.error(e);
      return cleanup().then(() => 1);
    },
  )
  .then((code) => process.exit(code));
