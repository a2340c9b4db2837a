// HTTP/2 against HTTP/1.1 (issue 16): bulwark's CPU per request and req/s with clients
// speaking h2 (h2c on a plain listener, `bulwark-h2c`; h2 by ALPN on TLS, `bulwark-h2`) and
// HTTP/1.1 (`bulwark`, `bulwark-tls`), all proxying to the same HTTP/1.1 origins. One load
// generator for both protocols, h2load (Debian's nghttp2-client), so the client is not what
// differs; the target is skipped with a note when h2load is missing.
//
// The same number of requests is in flight for every target (H2_CONCURRENCY, default 50):
// HTTP/1.1 targets get that many connections, one request each; HTTP/2 targets get
// H2_CONNECTIONS connections (default 5) carrying the rest as concurrent streams. Targets
// take turns in H2_ROUNDS rounds (default 3) of H2_SECONDS seconds (default 5), the order
// rotated by one per round, after one unmeasured second each. CPU per request is the
// target's CPU time from /proc over its turn (connection setup included) over the requests
// h2load completed. Ratios pair each HTTP/2 target with its HTTP/1.1 twin (h2c with plain,
// h2 with tls), per round, and the median is reported, as run.js does. BENCH_PIN places the
// proxies as run.js does; h2load shares the REST cores with the origins.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitAfter, guardRun } from './lib/lifecycle.js';
import { TARGETS, BENCH_DIR, BULWARK_CLI, startOrigins } from './lib/targets.js';
import { PIN, pinHarness } from './lib/pin.js';
import { cpuSeconds } from './lib/proc.js';
import { median } from './lib/stats.js';
import { envInt } from './lib/env.js';

const ROUNDS = envInt('H2_ROUNDS', 3);
const SECONDS = envInt('H2_SECONDS', 5);
const CONCURRENCY = envInt('H2_CONCURRENCY', 50);
const H2_CONNECTIONS = envInt('H2_CONNECTIONS', 5);
if (CONCURRENCY % H2_CONNECTIONS !== 0) throw new Error('H2_CONCURRENCY must be a multiple of H2_CONNECTIONS');
/** Each HTTP/2 target and the HTTP/1.1 target it is compared with. */
const TWIN = { 'bulwark-h2c': 'bulwark', 'bulwark-h2': 'bulwark-tls' };
const H2 = new Set(Object.keys(TWIN));
const REQUESTED = (process.env.H2_TARGETS ?? 'bulwark,bulwark-h2c,bulwark-tls,bulwark-h2').split(',').map((s) => s.trim()).filter(Boolean);
for (const t of REQUESTED) if (!(t in TWIN) && !Object.values(TWIN).includes(t)) throw new Error(`H2_TARGETS: "${t}" is not one of ${[...Object.entries(TWIN).flat()].join(', ')}`);

function hasH2load() {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One h2load run against `url` for `seconds`: { done, failed, seconds, cpu (the target's) }. */
function load(name, url, seconds, cpuPids) {
  const shape = H2.has(name) ? ['-c', String(H2_CONNECTIONS), '-m', String(CONCURRENCY / H2_CONNECTIONS)] : ['--h1', '-c', String(CONCURRENCY), '-m', '1'];
  const cpu0 = cpuPids.reduce((s, p) => s + cpuSeconds(p), 0);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('h2load', [...shape, '-D', String(seconds), url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const cpu = cpuPids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
      const m = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
      if (m === null) return reject(new Error(`h2load gave no request counts for ${name}:\n${out.slice(-1500)}`));
      const codes = /status codes: (\d+) 2xx/.exec(out);
      const done = Number(m[1]);
      resolve({ done, ok: codes ? Number(codes[1]) : 0, failed: Number(m[3]) + Number(m[4]), seconds: (performance.now() - t0) / 1000, cpu, measured: seconds });
    });
  });
}

async function main() {
  if (!hasH2load()) {
    console.log('skipping h2.js: h2load is not installed (Debian: apt-get install -y nghttp2-client)');
    return 0;
  }
  const names = REQUESTED;
  if (!fs.existsSync(BULWARK_CLI)) {
    console.error(`bulwark is not built (${BULWARK_CLI} is missing): run \`npm run build\` first`);
    return 1;
  }
  const startedAt = new Date();
  console.log(`h2: ${names.join(', ')} | ${ROUNDS} rounds x ${SECONDS}s, ${CONCURRENCY} requests in flight (HTTP/2: ${H2_CONNECTIONS} connections) | node ${process.version}, ${os.cpus().length} CPUs`);
  pinHarness();
  if (PIN) console.log(`pinned: proxies on CPU ${PIN.proxy}; h2load and the origins on CPU ${PIN.rest}`);
  const origins = await startOrigins(3);
  const started = {};
  for (const n of names) started[n] = await TARGETS[n]({ origins, tmpDir });
  for (const n of names) await load(n, started[n].url, 1, started[n].cpuPids);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const line = [];
    for (const n of order) {
      const s = await load(n, started[n].url, SECONDS, started[n].cpuPids);
      samples[n][r] = { ...s, rate: s.ok / s.measured, cpuUsPerRequest: (s.cpu / Math.max(1, s.done)) * 1e6 };
      line.push(`${n} ${Math.round(samples[n][r].rate)} req/s ${samples[n][r].cpuUsPerRequest.toFixed(1)} µs`);
    }
    console.log(`round ${r + 1}/${ROUNDS}: ${line.join(', ')}`);
  }
  for (const n of names) await started[n].stop();

  const rows = {};
  for (const n of names) {
    const list = samples[n];
    rows[n] = { rps: median(list.map((s) => s.rate)), cpuUsPerRequest: median(list.map((s) => s.cpuUsPerRequest)), failed: list.reduce((a, s) => a + s.failed, 0), non2xx: list.reduce((a, s) => a + Math.max(0, s.done - s.ok), 0) };
    const twin = samples[TWIN[n]];
    if (twin) {
      rows[n].cpuVsTwin = median(list.map((s, r) => s.cpuUsPerRequest / twin[r].cpuUsPerRequest));
      rows[n].rpsVsTwin = median(list.map((s, r) => s.rate / twin[r].rate));
    }
  }
  const f = (v, d = 0) => (v == null ? '-' : v.toFixed(d));
  const head = ['target', 'protocol', 'req/s', 'CPU µs/req', 'failed', 'non-2xx', '×HTTP/1.1 CPU', '×HTTP/1.1 req/s'];
  const lines = [head, ...names.map((n) => { const r = rows[n]; return [n, H2.has(n) ? 'h2' : 'http/1.1', f(r.rps), f(r.cpuUsPerRequest, 1), String(r.failed), String(r.non2xx), f(r.cpuVsTwin, 3), f(r.rpsVsTwin, 3)]; })];
  const w = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  console.log('\n' + lines.map((l) => l.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')).join('\n'));
  console.log(`medians over ${ROUNDS} rounds; ×HTTP/1.1 = median of per-round ratios to the twin (bulwark-h2c to bulwark, bulwark-h2 to bulwark-tls).`);

  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `h2-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ startedAt: startedAt.toISOString(), config: { rounds: ROUNDS, seconds: SECONDS, concurrency: CONCURRENCY, h2Connections: H2_CONNECTIONS, pin: PIN }, env: { node: process.version, cpus: os.cpus().length }, targets: rows, samples }, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return names.some((n) => rows[n].failed > 0 || rows[n].non2xx > 0) ? 1 : 0;
}

const { tmpDir, cleanup } = guardRun('h2', (REQUESTED.length * (ROUNDS * (SECONDS + 2) + 60) + 60) * 1000);
exitAfter(main(), cleanup);
