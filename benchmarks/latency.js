// The c=1 pass (issue 15): one connection, one request at a time, to measure the latency a
// proxy adds. Targets: `direct` (one origin, no proxy), `bulwark` (plain) and `bulwark-full`
// (every feature on), as the bench starts them (lib/targets.js), and `nginx` and `haproxy`
// when installed (lib/peers.js: apt-get installs them when this runs as root; otherwise they
// are skipped, and the run says why). Each request is timed with process.hrtime.bigint()
// from the request's start to its response's end, over one keep-alive connection
// (node:http Agent, maxSockets 1).
//
// The targets take turns in LAT_ROUNDS rounds of LAT_REQUESTS requests each (the order
// rotated by one per round), after LAT_WARMUP unmeasured requests each, so a slow stretch
// of the machine hits all alike. p50 and p99 pool every measured request of a target; the
// added latency is target − direct at p50 and at p99. The nginx goal is judged as the bench
// judges ratios: the median over rounds of each round's (bulwark − direct) / (nginx − direct)
// at p50, and not with a single round. See benchmarks/README.md.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { exitAfter, guardRun } from './lib/lifecycle.js';
import { TARGETS, BENCH_DIR, BULWARK_CLI, startOrigins } from './lib/targets.js';
import { percentile } from './lib/percentile.js';
import { PIN, pinHarness } from './lib/pin.js';
import { ensurePeers } from './lib/peers.js';
import { median } from './lib/stats.js';
import { envInt } from './lib/env.js';

const ROUNDS = envInt('LAT_ROUNDS', 5);
const REQUESTS = envInt('LAT_REQUESTS', 2000);
const WARMUP = envInt('LAT_WARMUP', 500);
const ORIGINS = 3;

if (!fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${BULWARK_CLI} is missing): run \`npm run build\` first`);
  process.exit(1);
}
// Generous: 10 ms per request, plus 60 s per target to start.
const { tmpDir, cleanup } = guardRun('latency', (4 * (ROUNDS * REQUESTS + WARMUP) * 0.01 + 240) * 1000);

/** `n` sequential GETs over `agent` (one keep-alive connection); each one's time in µs. */
async function timeRequests(url, agent, n) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve, reject) => {
      const req = http.get(url, { agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${url}: status ${res.statusCode}`));
        res.on('end', resolve).on('error', reject).resume();
      });
      req.on('error', reject);
    });
    out[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return out;
}

async function main() {
  const startedAt = new Date();
  const peers = ensurePeers(['nginx', 'haproxy']);
  for (const note of peers.notes) console.log(note);
  const skipped = Object.fromEntries(peers.skipped.map((n) => [n, 'not installed']));
  const names = ['direct', 'bulwark', 'bulwark-full', ...['nginx', 'haproxy'].filter((n) => !skipped[n])];
  console.log(`latency (c=1): ${names.join(', ')} | ${ROUNDS} rounds x ${REQUESTS} requests, warm-up ${WARMUP} | node ${process.version}, ${os.cpus().length} CPUs`);
  pinHarness(); // BENCH_PIN: the client and the origins on the REST cores, each proxy on its own
  if (PIN) console.log(`pinned: proxies on CPU ${PIN.proxy}; the client (this process) and the origin on CPU ${PIN.rest}`);
  const origins = await startOrigins(ORIGINS);
  const started = {};
  for (const n of names) {
    try {
      started[n] = await TARGETS[n]({ origins, tmpDir });
    } catch (e) {
      if (n !== 'nginx' && n !== 'haproxy') throw e;
      skipped[n] = `did not start: ${e.message.split('\n')[0]}`;
      console.log(`${n}: skipped: ${skipped[n]}`);
    }
  }
  const live = names.filter((n) => started[n]);
  const agents = Object.fromEntries(live.map((n) => [n, new http.Agent({ keepAlive: true, maxSockets: 1 })]));
  for (const n of live) await timeRequests(started[n].url, agents[n], WARMUP);
  const times = Object.fromEntries(live.map((n) => [n, []]));
  const roundP50 = Object.fromEntries(live.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = live.map((_, i) => live[(i + r) % live.length]);
    for (const n of order) {
      const got = await timeRequests(started[n].url, agents[n], REQUESTS);
      times[n].push(...got);
      roundP50[n].push(percentile([...got].sort((a, b) => a - b), 0.5));
    }
    process.stdout.write(`round ${r + 1}/${ROUNDS}: ${live.map((n) => `${n} p50 ${roundP50[n][r].toFixed(0)} µs`).join(', ')}\n`);
  }
  for (const a of Object.values(agents)) a.destroy();
  for (const n of live) await started[n].stop();

  const rows = {};
  for (const n of live) {
    const s = times[n].sort((a, b) => a - b);
    rows[n] = { requests: s.length, p50: percentile(s, 0.5), p99: percentile(s, 0.99), max: s[s.length - 1] };
  }
  const d = rows.direct;
  for (const n of live) {
    if (n === 'direct') continue;
    rows[n].addedP50 = rows[n].p50 - d.p50;
    rows[n].addedP99 = rows[n].p99 - d.p99;
  }
  const us = (v) => (v == null ? '-' : v.toFixed(0));
  const head = ['target', 'requests', 'p50 µs', 'p99 µs', 'max µs', 'added p50 µs', 'added p99 µs'];
  const lines = [head, ...live.map((n) => [n, String(rows[n].requests), us(rows[n].p50), us(rows[n].p99), us(rows[n].max), us(rows[n].addedP50), us(rows[n].addedP99)])];
  const w = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  console.log('\n' + lines.map((l) => l.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')).join('\n'));
  console.log('added = target − direct at the same percentile (every measured request of the target pooled).');
  if (rows.nginx) {
    const added = (n, r) => roundP50[n][r] - roundP50.direct[r];
    for (const n of ['bulwark', 'bulwark-full']) {
      const perRound = roundP50[n].map((_, r) => added(n, r) / added('nginx', r));
      const x = (rows[n].vsNginxAddedP50 = median(perRound));
      const word = ROUNDS < 2 ? 'no verdict (one round)' : x <= 2 ? 'PASS' : 'FAIL';
      console.log(`${n}'s added p50 / nginx's, median of per-round ratios: ${x.toFixed(2)}× (per round ${perRound.map((v) => v.toFixed(2)).join(' ')}; issue 15's goal: ≤ 2×): ${word}`);
    }
  } else console.log(`no nginx figure: ${skipped.nginx}; issue 15's goal (added p50 ≤ 2× nginx's) is not judged`);

  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `latency-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  const result = { startedAt: startedAt.toISOString(), config: { rounds: ROUNDS, requests: REQUESTS, warmup: WARMUP, origins: ORIGINS }, env: { node: process.version, cpus: os.cpus().length }, skipped, targets: rows, roundP50 };
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return 0;
}

exitAfter(main(), cleanup);
