// Full TLS handshakes per second (issue 16): every request on a new connection, as a
// browser's first visit or a client without session resumption makes them. Targets:
// `bulwark-tls`, `undici-tls` (the floor: what Node's own TLS costs, see undici-floor.js),
// `nginx-tls` and `haproxy-tls` (lib/targets.js, lib/peers.js), all serving the same
// throwaway certificate (lib/certs.js: RSA 2048, or BENCH_CERT_KEY=ec).
//
// HS_CONNECTIONS loops (default 8) each connect, handshake (TLS 1.3 unless the target
// refuses it; no session is ever reused, so every handshake is a full one), send one GET
// with `Connection: close`, read the response to its end, and start over. The targets take
// turns in HS_ROUNDS rounds (default 3) of HS_SECONDS seconds (default 3) each, the order
// rotated by one per round, after one unmeasured second each. The target's CPU time is read
// from /proc before and after its turn: CPU per handshake includes its one request.
// Ratios to nginx-tls are taken per round, and the median reported, as run.js does.
// BENCH_PIN places the proxies as run.js does; the client (this process) shares the REST
// cores with the origins, and a client at ≥ 90% of a core is reported as the bottleneck.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { exitAfter, guardRun } from './lib/lifecycle.js';
import { TARGETS, BENCH_DIR, BULWARK_CLI, startOrigins } from './lib/targets.js';
import { PIN, pinHarness } from './lib/pin.js';
import { ensurePeers } from './lib/peers.js';
import { cpuSeconds } from './lib/proc.js';
import { median } from './lib/stats.js';
import { envInt } from './lib/env.js';

const ROUNDS = envInt('HS_ROUNDS', 3);
const SECONDS = envInt('HS_SECONDS', 3);
const CONNECTIONS = envInt('HS_CONNECTIONS', 8);
const REQUESTED = (process.env.HS_TARGETS ?? 'bulwark-tls,undici-tls,nginx-tls,haproxy-tls').split(',').map((s) => s.trim()).filter(Boolean);
for (const t of REQUESTED) if (!TARGETS[t] || !t.endsWith('-tls')) throw new Error(`HS_TARGETS: "${t}" is not a TLS target (known: ${Object.keys(TARGETS).filter((n) => n.endsWith('-tls')).join(', ')})`);
if (REQUESTED.some((t) => t.startsWith('bulwark')) && !fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${BULWARK_CLI} is missing): run \`npm run build\` first`);
  process.exit(1);
}
const { tmpDir, cleanup } = guardRun('handshakes', (REQUESTED.length * (ROUNDS * (SECONDS + 1) + 60) + 60) * 1000);

/** One connection: handshake, GET, read to the end. Resolves true on a 200. */
function once(port) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    let head = '';
    s.setEncoding('latin1');
    s.on('secureConnect', () => s.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    s.on('data', (d) => {
      if (head.length < 16) head += d;
    });
    s.on('error', () => {});
    s.on('close', () => resolve(head.startsWith('HTTP/1.1 200')));
  });
}

/** CONNECTIONS loops of `once` for `ms`: { ok, failed, seconds, cpu (target), client (this process) }. */
async function load(port, ms, cpuPids) {
  const cpu0 = cpuPids.reduce((s, p) => s + cpuSeconds(p), 0);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const until = t0 + ms;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        if (await once(port)) ok++;
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const own = process.cpuUsage(own0);
  return { ok, failed, seconds, cpu: cpuPids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0, client: (own.user + own.system) / 1e6 / seconds };
}

async function main() {
  const startedAt = new Date();
  const peers = ensurePeers(REQUESTED);
  for (const note of peers.notes) console.log(note);
  const names = REQUESTED.filter((n) => !peers.skipped.includes(n));
  console.log(`handshakes: ${names.join(', ')} | ${ROUNDS} rounds x ${SECONDS}s x ${CONNECTIONS} connections, a new TLS connection per request | node ${process.version}, ${os.cpus().length} CPUs`);
  pinHarness();
  if (PIN) console.log(`pinned: proxies on CPU ${PIN.proxy}; the client (this process) and the origins on CPU ${PIN.rest}`);
  const origins = await startOrigins(3);
  const started = {};
  for (const n of names) started[n] = await TARGETS[n]({ origins, tmpDir });
  const portOf = (n) => Number(new URL(started[n].url).port);
  for (const n of names) await load(portOf(n), 1000, started[n].cpuPids);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const line = [];
    for (const n of order) {
      const s = await load(portOf(n), SECONDS * 1000, started[n].cpuPids);
      samples[n][r] = { ...s, rate: s.ok / s.seconds, cpuPerHandshake: (s.cpu / Math.max(1, s.ok + s.failed)) * 1e6 };
      line.push(`${n} ${Math.round(samples[n][r].rate)}/s`);
    }
    console.log(`round ${r + 1}/${ROUNDS}: ${line.join(', ')}`);
  }
  for (const n of names) await started[n].stop();

  const rows = {};
  for (const n of names) {
    const list = samples[n];
    rows[n] = { handshakesPerSecond: median(list.map((s) => s.rate)), cpuUsPerHandshake: median(list.map((s) => s.cpuPerHandshake)), failed: list.reduce((a, s) => a + s.failed, 0), clientCores: median(list.map((s) => s.client)) };
    if (samples['nginx-tls'] && n !== 'nginx-tls') {
      rows[n].rateVsNginx = median(list.map((s, r) => s.rate / samples['nginx-tls'][r].rate));
      rows[n].cpuVsNginx = median(list.map((s, r) => s.cpuPerHandshake / samples['nginx-tls'][r].cpuPerHandshake));
    }
  }
  const f = (v, d = 0) => (v == null ? '-' : v.toFixed(d));
  const head = ['target', 'handshakes/s', 'CPU µs/handshake', 'failed', 'client cores', '×nginx rate', '×nginx CPU'];
  const lines = [head, ...names.map((n) => { const r = rows[n]; return [n, f(r.handshakesPerSecond), f(r.cpuUsPerHandshake), String(r.failed), f(r.clientCores, 2), f(r.rateVsNginx, 2), f(r.cpuVsNginx, 2)]; })];
  const w = head.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  console.log('\n' + lines.map((l) => l.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ')).join('\n'));
  console.log(`medians over ${ROUNDS} rounds; ×nginx = median of per-round ratios to nginx-tls. CPU per handshake includes its one proxied request.`);
  for (const n of names) if (rows[n].clientCores >= 0.9) console.log(`${n}: the client used ${f(rows[n].clientCores, 2)} of a core: its rate measures the client, not the proxy (compare CPU per handshake)`);

  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `handshakes-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ startedAt: startedAt.toISOString(), config: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, pin: PIN, certKey: process.env.BENCH_CERT_KEY === 'ec' ? 'ec' : 'rsa' }, env: { node: process.version, cpus: os.cpus().length }, targets: rows, samples }, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return names.some((n) => rows[n].failed > 0) ? 1 : 0;
}

exitAfter(main(), cleanup);
