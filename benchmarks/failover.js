// Failover benchmark: what clients see when one of three servers is SIGKILLed under load.
//
// Usage: npm run build && node benchmarks/failover.js
//
// Two runs, each with three fresh origin processes (benchmarks/origin.js) and a fresh
// bulwark (`node dist/cli/main.js start -c <tmp conf>`, round-robin, access log off) with
// active health checks (interval 1s, timeout 500ms, fall 3, rise 2):
//   retries      retries on (defaults: connect-failure, reset, 502, 503, 504; budget 20%)
//   no-retries   no retries block
// autocannon (in this process) sends load through bulwark with FAILOVER_CONNECTIONS
// connections for FAILOVER_DURATION seconds; at FAILOVER_KILL_AT seconds one origin is
// SIGKILLed. Reported per run:
//   requests, non-2xx, errors   autocannon's totals (errors include timeouts)
//   detect ms                   from the kill to the time of bulwark's JSON log line
//                               "server_flag_set" with flag failed_health_check for that
//                               server (read from bulwark's stdout)
//   failures / last failure ms  failed responses (non-2xx or errors) after the kill, and
//                               when the last one happened, relative to the kill
//   budget exhausted            retries refused by the budget (/status), retries run only
// A table goes to stdout and the result to benchmarks/results/failover-<timestamp>.json.
//
// Environment: FAILOVER_DURATION (s, default 10), FAILOVER_KILL_AT (s, default 3),
// FAILOVER_CONNECTIONS (default 50). The run stops by itself (a hard time limit included)
// and stops every child process it started, also on Ctrl-C or failure. Linux/macOS;
// everything on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import http from 'node:http';
import autocannon from 'autocannon';
import { guardRun, exitAfter } from './lib/lifecycle.js';
import { freePort, spawnTracked, stop, waitHttp200 } from './lib/proc.js';
import { BENCH_DIR, BULWARK_CLI, REPO_ROOT, startOrigins } from './lib/targets.js';

const num = (name, def) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const DURATION = num('FAILOVER_DURATION', 10);
const KILL_AT = num('FAILOVER_KILL_AT', 3);
const CONNECTIONS = Math.round(num('FAILOVER_CONNECTIONS', 50));
const HEALTH = { interval: '1s', timeout: '500ms', fall: 3, rise: 2 };
const RUNS = [
  { name: 'retries', retries: true },
  { name: 'no-retries', retries: false },
];
if (KILL_AT >= DURATION) throw new Error('FAILOVER_KILL_AT must be less than FAILOVER_DURATION');
if (!fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${path.relative(process.cwd(), BULWARK_CLI)} is missing): run \`npm run build\` first`);
  process.exit(1);
}

const { tmpDir, cleanup } = guardRun('failover', (RUNS.length * (DURATION + 30) + 30) * 1000);

/** Starts bulwark in front of `origins`; collects its JSON log lines with an `event`. */
async function startBulwark(origins, retries) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const conf = path.join(tmpDir, `bulwark-${retries ? 'retries' : 'plain'}.yaml`);
  fs.writeFileSync(
    conf,
    [
      `listen: 127.0.0.1:${port}`,
      `admin: { listen: 127.0.0.1:${adminPort} }`,
      `log: { level: info, access: false }`,
      `upstreams:`,
      `  bench:`,
      `    health_check: { interval: ${HEALTH.interval}, timeout: ${HEALTH.timeout}, fall: ${HEALTH.fall}, rise: ${HEALTH.rise} }`,
      ...(retries ? [`    retries: {}`] : []),
      `    servers:`,
      ...origins.map((o, i) => `      - { url: http://127.0.0.1:${o.port}, name: origin${i + 1} }`),
      `routes:`,
      `  - upstream: bench`,
      ``,
    ].join('\n'),
  );
  const child = spawnTracked('bulwark', process.execPath, [BULWARK_CLI, 'start', '-c', conf], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const l = JSON.parse(line);
      if (l.event !== undefined) events.push(l);
    } catch {
      /* not a JSON line */
    }
  });
  try {
    await waitHttp200(`http://127.0.0.1:${adminPort}/healthz`, child);
  } catch (e) {
    await stop(child);
    throw new Error(`bulwark did not become ready: ${e.message}\n${stderr}`);
  }
  return { child, url: `http://127.0.0.1:${port}/`, adminUrl: `http://127.0.0.1:${adminPort}`, events };
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => resolve(JSON.parse(text)));
    }).on('error', reject);
  });
}

/** One run: fresh origins and bulwark, load, a SIGKILL at KILL_AT s, then the facts. */
async function runOnce({ name, retries }) {
  const origins = await startOrigins(3);
  const bw = await startBulwark(origins, retries);
  const victim = origins[1];
  const failures = []; // ms since the kill (negative: before it) of every failed response
  let killedAt = 0;
  const instance = autocannon({ url: bw.url, connections: CONNECTIONS, duration: DURATION });
  const when = () => (killedAt === 0 ? -1 : Date.now() - killedAt);
  instance.on('response', (_client, status) => {
    if (status < 200 || status > 299) failures.push(when());
  });
  instance.on('reqError', () => failures.push(when()));
  const killer = setTimeout(() => {
    killedAt = Date.now();
    victim.child.kill('SIGKILL');
  }, KILL_AT * 1000);
  const result = await instance;
  clearTimeout(killer);
  const status = await getJson(`${bw.adminUrl}/status`);
  await stop(bw.child);
  await Promise.all(origins.map((o) => stop(o.child)));

  const flag = bw.events.find((l) => l.event === 'server_flag_set' && l.flag === 'failed_health_check' && l.server === 'bench/origin2');
  const after = failures.filter((t) => t >= 0);
  const up = status.upstreams.find((u) => u.name === 'bench');
  return {
    run: name,
    retries,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    detectMs: flag === undefined ? null : flag.time - killedAt,
    flagReason: flag?.reason ?? null,
    failuresAfterKill: after.length,
    failuresBeforeKill: failures.length - after.length,
    lastFailureMs: after.length > 0 ? Math.max(...after) : null,
    budgetExhausted: up?.retries?.budget_exhausted ?? null,
    rps: result.requests.mean,
  };
}

function table(rows) {
  const cols = [
    ['run', (r) => r.run],
    ['requests', (r) => r.requests],
    ['non-2xx', (r) => r.non2xx],
    ['errors', (r) => r.errors],
    ['detect ms', (r) => r.detectMs ?? 'never'],
    ['failures', (r) => r.failuresAfterKill],
    ['last failure ms', (r) => r.lastFailureMs ?? '-'],
    ['budget exhausted', (r) => r.budgetExhausted ?? '-'],
  ];
  const cells = [cols.map(([h]) => h), ...rows.map((r) => cols.map(([, f]) => String(f(r))))];
  const widths = cols.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function main() {
  const startedAt = new Date();
  console.log(
    `failover: 3 origins, bulwark with health checks (${Object.entries(HEALTH).map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
      `${CONNECTIONS} connections x ${DURATION}s, SIGKILL origin2 at ${KILL_AT}s | node ${process.version}, ${os.cpus().length} CPUs`,
  );
  const rows = [];
  for (const r of RUNS) {
    process.stdout.write(`run ${r.name}... `);
    const row = await runOnce(r);
    rows.push(row);
    process.stdout.write(`${row.requests} requests, ${row.failuresAfterKill} failed after the kill\n`);
  }
  console.log(`\n${table(rows)}`);
  console.log('detect ms: kill -> failed_health_check flag logged; failures / last failure ms: failed responses after the kill, and the last one (ms after the kill).');
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: { duration: DURATION, killAt: KILL_AT, connections: CONNECTIONS, healthCheck: HEALTH, origins: 3, killed: 'origin2' },
    env: { node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length },
    runs: rows,
  };
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `failover-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return 0;
}

exitAfter(main(), cleanup);
