// bulwark benchmark harness: `npm run bench` (= node benchmarks/run.js).
//
// One run measures, against the same three local origin processes:
//   direct      straight to one origin, no proxy (CPU column = the origins' CPU, informational)
//   bulwark     node dist/cli/main.js start -c <conf>  (round-robin, JSON access log -> file)
//   http-proxy  node-http-proxy with a keep-alive agent, round-robin (the baseline peer)
//   undici      bare node:http -> undici Pool pass-through (the floor for a Node proxy)
//   bulwark-full, bulwark-workers (BENCH_WORKERS workers), nginx and haproxy (lib/peers.js)
// and, when named in BENCH_TARGETS: bulwark-nolog (access log off), undici-fwd (the
// floor plus the X-Forwarded-* and X-Request-Id fields) and undici-fwd-log (that plus
// bulwark's access log); see undici-floor.js. With TLS: bulwark-tls, undici-tls (the
// floor over node:https), nginx-tls and haproxy-tls, all serving lib/certs.js's certificate.
//
// A round starts every target fresh and warms each up; then the measured load is
// given in BENCH_SLICE-second slices that take turns between the targets, so all of
// them are measured across the same stretch of time (see lib/sample.js for why).
// The target's CPU time (utime+stime from /proc/<pid>/stat) is read right before and
// after each slice; CPU µs/request = summed CPU / summed completed requests.
//
// One sample per target is noisy on a small shared machine (±10–40% on 2 cores),
// so the run is BENCH_ROUNDS rounds; each round takes one sample of every target,
// interleaved, with the order rotated by one per round (no target always first/last).
// Reported per target: the median over rounds of req/s, p50, p99 and CPU µs/req, the
// min–max spread of req/s and CPU µs/req, and summed non-2xx/errors. Ratios to
// http-proxy are computed per round (same round, similar machine state); the
// reported ratio and the verdict use the median of those per-round ratios.
//
// Environment knobs:
//   BENCH_ROUNDS       rounds, i.e. samples per target        (default 3)
//   BENCH_DURATION     seconds of measured load per sample    (default 5)
//   BENCH_CONNECTIONS  concurrent autocannon connections      (default 50)
//   BENCH_WARMUP       seconds of unmeasured warm-up load per sample (default 2)
//   BENCH_SLICE        seconds per turn of measured load (default 2; = BENCH_DURATION
//                      gives one block per target per round)
//   BENCH_RAMP         unmeasured seconds of load before each turn (default 0.5)
//   BENCH_TARGETS      comma list of targets to run, e.g. "direct,bulwark"
//                      (default: direct,bulwark,bulwark-full,bulwark-workers,http-proxy,undici,nginx,haproxy)
//   BENCH_WORKERS      workers of the bulwark-workers target  (default 2)
//   BENCH_LOADGEN_THREADS autocannon threads, sharing the connections (default 1)
//   BENCH_PIN          PROXY_CPUS:OTHER_CPUS, e.g. "1:0": proxies on their own cores (lib/pin.js)
//
// Output: a table on stdout, bulwark's per-round ratios, a one-line verdict for its
// goals (CPU/req ≤ 0.65× and req/s ≥ 1.5× http-proxy), and every sample plus the
// medians as JSON in benchmarks/results/<timestamp>.json and results/latest.json.
// No verdict (and the line says why) when bulwark or http-proxy had non-2xx responses or
// errors in any measured sample, or when fewer than two rounds measured both (lib/verdicts.js).
// Linux only (reads /proc). Everything stays on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLK_TCK } from './lib/proc.js';
import { PIN, pinHarness } from './lib/pin.js';
import { exitAfter, guardRun } from './lib/lifecycle.js';
import { TARGETS, BENCH_DIR, BULWARK_CLI, startOrigins } from './lib/targets.js';
import { ensurePeers } from './lib/peers.js';
import { measureRound, sliceCount, LOADGEN_BOUND } from './lib/sample.js';
import { summarize, addRatios } from './lib/stats.js';
import { table, perRoundLine, costLines, verdict, GOALS } from './lib/report.js';
import { issue15Lines } from './lib/goals.js';

const num = (name, def) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const ROUNDS = Math.round(num('BENCH_ROUNDS', 3));
const LOAD = {
  duration: num('BENCH_DURATION', 5),
  warmup: Number(process.env.BENCH_WARMUP ?? 2), // 0 disables warm-up
  slice: num('BENCH_SLICE', 2),
  ramp: Number(process.env.BENCH_RAMP ?? 0.5), // 0 disables the ramp before each slice
  connections: Math.round(num('BENCH_CONNECTIONS', 50)),
  pipelining: 1,
  // autocannon's worker threads (BENCH_LOADGEN_THREADS; 1 = in this process's main thread).
  loadgenThreads: Math.round(num('BENCH_LOADGEN_THREADS', 1)),
};
const ORIGINS = 3;
const requested = (process.env.BENCH_TARGETS ?? 'direct,bulwark,bulwark-full,bulwark-workers,http-proxy,undici,nginx,haproxy')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

for (const t of requested) {
  if (!TARGETS[t]) {
    console.error(`unknown target "${t}" in BENCH_TARGETS (known: ${Object.keys(TARGETS).join(', ')})`);
    process.exit(2);
  }
}
// nginx and HAProxy: apt-get installed when missing and root, otherwise skipped (lib/peers.js).
const peers = ensurePeers(requested);
for (const line of peers.notes) console.log(line);
const targetNames = requested.filter((t) => !peers.skipped.includes(t));
// undici-fwd-log borrows bulwark's access-log writer from dist/ too.
if (targetNames.some((t) => t.startsWith('bulwark') || t === 'undici-fwd-log') && !fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${path.relative(process.cwd(), BULWARK_CLI)} is missing): run \`npm run build\` first,`);
  console.error('or leave bulwark out with e.g. BENCH_TARGETS=direct,http-proxy,undici');
  process.exit(1);
}

// Hard bound on the whole run: per sample warm-up + duration + ramps + 30 s slack for start/stop.
const budgetMs = (ROUNDS * targetNames.length * (LOAD.warmup + LOAD.duration + sliceCount(LOAD) * LOAD.ramp + 30) + 30) * 1000;
const { tmpDir, cleanup } = guardRun('bench', budgetMs);

/** Round r (0-based) runs the targets rotated left by r. */
const orderOf = (r) => targetNames.map((_, i) => targetNames[(i + r) % targetNames.length]);

async function main() {
  const startedAt = new Date();
  console.log(
    `bench: ${targetNames.join(', ')} | ${ROUNDS} rounds x ${LOAD.duration}s x ${LOAD.connections} connections, ` +
      `pipelining ${LOAD.pipelining}, warm-up ${LOAD.warmup}s, slices of ${LOAD.slice}s | node ${process.version}, ${os.cpus().length} CPUs`,
  );
  pinHarness(); // before the origins start: they inherit the harness's cores
  if (PIN) console.log(`pinned: proxies on CPU ${PIN.proxy}; autocannon (this process) and the origins on CPU ${PIN.rest}`);
  const origins = await startOrigins(ORIGINS);
  console.log(`origins on ports ${origins.map((o) => o.port).join(', ')}`);

  const samples = Object.fromEntries(targetNames.map((n) => [n, []])); // samples[name][round - 1]
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = orderOf(r);
    rounds.push({ round: r + 1, order });
    process.stdout.write(`round ${r + 1}/${ROUNDS}:`);
    const failures = [];
    let got = {};
    try {
      got = await measureRound(order, { origins, tmpDir }, LOAD);
    } catch (e) {
      for (const name of order) got[name] = { error: e.message };
    }
    for (const [pos, name] of order.entries()) {
      const s = got[name] ?? { error: 'not measured' };
      samples[name][r] = { round: r + 1, position: pos + 1, ...s };
      if (s.error) {
        process.stdout.write(` ${name} FAILED,`);
        failures.push(`${name} (round ${r + 1}): ${s.error}`);
      } else process.stdout.write(` ${name} ${Math.round(s.rps)} req/s,`);
    }
    process.stdout.write('\n');
    for (const f of failures) console.error(f);
  }

  const rows = Object.fromEntries(targetNames.map((n) => [n, summarize(samples[n])]));
  addRatios(rows, samples);

  console.log(`\n${table(rows)}`);
  console.log(`medians over ${ROUNDS} rounds; ranges are min–max over rounds; ×hp = median of per-round ratios to http-proxy.`);
  if (rows.direct && !rows.direct.error) console.log("* direct: CPU column is the origins' CPU per request (no proxy), informational.");
  if (Object.values(rows).some((r) => !r.error && r.non2xx + r.errors + r.timeouts > 0)) {
    console.log('! non-2xx or errors in the measured load: that target\'s req/s, CPU per request and ratios count failures, and no verdict or cost figure uses it.');
  }
  const b = rows.bulwark;
  if (b && !b.error) {
    console.log(
      `bulwark access log: ${b.accessLogLines} lines for ${b.warmupRequests + b.completed} requests over ${b.samples - b.failed} samples ` +
        `(warm-up + measured; autocannon may also abort a few in flight at the end; startup log lines count too)`,
    );
  }
  for (const [name, list] of Object.entries(samples)) {
    const spread = workerSpread(list);
    if (spread) console.log(`${name} access lines per worker, busiest/least busy per round: ${spread}`);
  }
  const bound = Object.entries(rows).filter(([, r]) => r.loadgenBound > 0);
  for (const [name, r] of bound) {
    console.log(`${name}: load-generator-bound in ${r.loadgenBound} of ${r.samples} samples (autocannon ≥ ${LOADGEN_BOUND * 100}% of a core): its req/s measures autocannon, no ratio`);
  }
  const pr = perRoundLine(rows);
  if (pr) console.log(pr);
  for (const line of costLines(samples)) console.log(line);
  const v = verdict(rows, samples);
  console.log(`\n${v.line}`);
  const goals15 = issue15Lines(samples, PIN);
  if (goals15.length > 0) console.log(`issue 15's goals (medians of per-round ratios):\n${goals15.map((l) => `  ${l}`).join('\n')}`);

  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: { rounds: ROUNDS, ...LOAD, origins: ORIGINS, targets: targetNames, pin: PIN },
    env: { node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().map((c) => c.model), clkTck: CLK_TCK },
    goals: GOALS,
    method: 'per target: median over rounds; ratios: median of per-round ratios to http-proxy',
    rounds,
    targets: rows, // medians, ranges, sums, vsHttpProxy (median + per round)
    samples, // every sample, by target, in round order
    verdict: v,
    goals15,
  };
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  const json = JSON.stringify(result, null, 2) + '\n';
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(dir, 'latest.json'), json);
  console.log(`results: ${path.relative(process.cwd(), file)} (and results/latest.json)`);
  const anyFailed = Object.values(samples).some((list) => list.some((s) => s.error));
  return anyFailed ? 1 : 0;
}

/** e.g. "1.08 1.21 1.02": per round, the busiest worker's access lines over the least busy one's. */
function workerSpread(list) {
  const per = list.filter((s) => s.accessByPid).map((s) => s.accessByPid);
  if (per.length === 0) return null;
  return per.map((by) => (by.length < 2 ? 'one worker only' : (by[0][1] / by[by.length - 1][1]).toFixed(2))).join(' ');
}

exitAfter(main(), cleanup);
