// What one GET /metrics costs bulwark: `node benchmarks/metrics-scrape.js` (after `npm run build`).
//
// The per-request side of metrics is plain counting (fields and bucket arrays) that is always
// on; its cost is measured by run.js against an older build (see README.md). The other side is
// the scrape, which renders every series. The interleaved bench cannot resolve it (one scrape a
// second is a fraction of a percent, inside its ±5% noise), so this measures it directly:
// bulwark with every feature configured on SCRAPE_SERVERS servers (default 3), idle, scraped
// SCRAPE_COUNT times (default 500) one after another; its CPU time (utime+stime from /proc)
// over those scrapes, less its idle CPU for as long, divided by the count.
// Reported: CPU µs per scrape and bytes per scrape, and what one scrape a second costs as a
// share of one core. Linux only; 127.0.0.1 only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLK_TCK, freePort, spawnTracked, stop, waitHttp200 } from './lib/proc.js';
import { BULWARK_CLI, REPO_ROOT, startOrigins } from './lib/targets.js';

const SERVERS = Number(process.env.SCRAPE_SERVERS ?? 3);
const COUNT = Number(process.env.SCRAPE_COUNT ?? 500);
if (!Number.isInteger(SERVERS) || SERVERS < 1 || !Number.isInteger(COUNT) || COUNT < 1) {
  console.error('SCRAPE_SERVERS and SCRAPE_COUNT must be positive integers');
  process.exit(2);
}

const cpuMs = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
};

const origins = await startOrigins(1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-scrape-'));
const [port, adminPort] = [await freePort(), await freePort()];
const conf = path.join(dir, 'bulwark.yaml');
fs.writeFileSync(
  conf,
  [
    `listen: 127.0.0.1:${port}`,
    `admin: { listen: 127.0.0.1:${adminPort} }`,
    'log: { level: warn, access: false }',
    'upstreams:',
    '  web:',
    '    health_check: { path: /, interval: 1s }',
    '    outlier_detection: {}',
    '    circuit_breaker: {}',
    '    retries: { attempts: 2 }',
    '    sticky: { mode: cookie }',
    '    servers:',
    ...Array.from({ length: SERVERS }, (_, i) => `      - { name: s${i}, url: "http://127.0.0.1:${origins[0].port}" }`),
    'routes:',
    '  - upstream: web',
    '',
  ].join('\n'),
);
const child = spawnTracked('bulwark', process.execPath, [BULWARK_CLI, 'start', '-c', conf], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitHttp200(`${admin}/healthz`, child);
  // Traffic first, so that every per-server and latency series has values.
  for (let i = 0; i < 200; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
  const scrape = async () => {
    const r = await fetch(`${admin}/metrics`);
    const text = await r.text();
    if (r.status !== 200) throw new Error(`GET /metrics answered ${r.status}: ${text.slice(0, 200)}`);
    return text.length;
  };
  for (let i = 0; i < 50; i++) await scrape(); // warm-up: JIT
  const start = performance.now();
  const before = cpuMs(child.pid);
  let bytes = 0;
  for (let i = 0; i < COUNT; i++) bytes += await scrape();
  const used = cpuMs(child.pid) - before;
  const wall = performance.now() - start;
  // Idle cost for as long (health checks, timers), taken out of the figure.
  const idleBefore = cpuMs(child.pid);
  await new Promise((r) => setTimeout(r, wall));
  const idle = cpuMs(child.pid) - idleBefore;
  const perScrapeUs = ((used - idle) * 1000) / COUNT;
  console.log(`servers: ${SERVERS}, scrapes: ${COUNT} in ${(wall / 1000).toFixed(1)} s, ${Math.round(bytes / COUNT)} bytes each`);
  console.log(`bulwark CPU: ${used.toFixed(0)} ms scraping, ${idle.toFixed(0)} ms idle for as long`);
  console.log(`CPU per scrape: ${perScrapeUs.toFixed(0)} µs; one scrape a second: ${(perScrapeUs / 10_000).toFixed(3)}% of one core`);
} finally {
  await stop(child);
  await Promise.all(origins.map((o) => stop(o.child)));
  fs.rmSync(dir, { recursive: true, force: true });
}
