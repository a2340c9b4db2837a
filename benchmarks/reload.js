// Hot-reload benchmark: `node benchmarks/reload.js` (build bulwark first: `npm run build`).
//
// Starts 4 origin processes (origin.js: each answers 200 with `x-origin: <its port>`) and
// bulwark through its CLI (`node dist/cli/main.js start -c <tmp conf>`) with two upstreams,
// blue (origins 1-2) and green (origins 3-4), and one catch-all route to one of them.
// Every save rewrites the config file with the route switched to the other upstream,
// alternately in place (writeFile) and as an editor does (temp file renamed over it).
//
//   (a) save→serve latency: RELOAD_SAVES saves (default 20), one at a time. After each
//       save, a tight loop (one keep-alive connection, one request at a time) measures the
//       time from the file write completing to the first response served by the new
//       upstream. Reported: median, p90, min, max (ms). This includes the file watcher's
//       debounce and settle time (50 ms + 50 ms), by design.
//   (b) errors under load: autocannon with RELOAD_CONNECTIONS connections (default 50) for
//       RELOAD_LOAD_SECONDS (default 10) while the file is saved every RELOAD_INTERVAL_MS
//       (default 500). Reported: requests, req/s, 2xx, non-2xx, errors, timeouts, the
//       reloads bulwark logged (config_reloaded / config_rejected), save→applied times under
//       load, and saves merged into the next one (their reload came after the next save).
//
// Goals (product): save→serve under 300 ms for every save (the max), and zero errors and
// zero non-2xx under load. The verdict line prints PASS/FAIL for each, or no verdict (and
// why) for a part where no reload was applied or any was rejected: zero errors while every
// reload is rejected measures no reload (lib/verdicts.js).
//
// Output: a table on stdout and JSON in benchmarks/results/reload-<timestamp>.json.
// The run stops by itself: a hard time budget aborts it, and every child process (origins,
// bulwark) is stopped and the temp folder removed on exit, on error and on Ctrl-C.
// Exit status: 0 when it ran to the end (whatever the verdict), 1 when something failed
// (a save never served, a child died), 2 for a bad setting. Linux or macOS; 127.0.0.1 only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Client } from 'undici';
import { guardRun, exitAfter } from './lib/lifecycle.js';
import { freePort, spawnTracked, stop, waitHttp200 } from './lib/proc.js';
import { median } from './lib/stats.js';
import { reloadVerdict } from './lib/verdicts.js';
import { BENCH_DIR, BULWARK_CLI, REPO_ROOT, startOrigins } from './lib/targets.js';

const num = (name, def) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`${name} must be a positive number`);
    process.exit(2);
  }
  return v;
};
const SAVES = Math.round(num('RELOAD_SAVES', 20));
const LOAD_SECONDS = num('RELOAD_LOAD_SECONDS', 10);
const CONNECTIONS = Math.round(num('RELOAD_CONNECTIONS', 50));
const INTERVAL_MS = num('RELOAD_INTERVAL_MS', 500);
/** How long one save may take to be served before it counts as failed. */
const SERVE_TIMEOUT_MS = 5000;
/** Quiet time between two measured saves, so each is a separate reload. */
const GAP_MS = 150;
const GOALS = { saveToServeMaxMs: 300, errorsUnderLoad: 0, non2xxUnderLoad: 0 };

if (!fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${path.relative(process.cwd(), BULWARK_CLI)} is missing): run \`npm run build\` first`);
  process.exit(1);
}

// Hard bound: every save at its timeout, the load, and a minute for starting and stopping.
const { tmpDir, cleanup } = guardRun('reload', SAVES * (SERVE_TIMEOUT_MS + GAP_MS) + LOAD_SECONDS * 1000 + 60_000);

const confPath = path.join(tmpDir, 'bulwark.yaml');
const logPath = path.join(tmpDir, 'bulwark.log');
let saveCount = 0;

/** The config with the catch-all route to `active` ("blue" or "green"). */
function configText({ port, adminPort, blue, green }, active) {
  const servers = (origins) => origins.map((o) => `      - { url: "http://127.0.0.1:${o.port}" }`);
  return [
    `# bulwark reload benchmark: route to ${active}`,
    `listen: 127.0.0.1:${port}`,
    `admin: { listen: 127.0.0.1:${adminPort} }`,
    'log: { level: info, access: false }',
    'upstreams:',
    '  blue:',
    '    servers:',
    ...servers(blue),
    '  green:',
    '    servers:',
    ...servers(green),
    'routes:',
    `  - upstream: ${active}`,
    '',
  ].join('\n');
}

/** The upstream the route points to in the file as last saved. */
let route = 'blue';

/**
 * Saves the config with the route switched to the other upstream; returns that upstream.
 * Even saves write in place, odd ones write a temp file and rename it over the config.
 */
async function switchRoute(setup) {
  route = route === 'blue' ? 'green' : 'blue';
  await save(configText(setup, route));
  return route;
}

async function save(text) {
  if (saveCount++ % 2 === 0) return fs.promises.writeFile(confPath, text);
  const tmp = `${confPath}.${saveCount}.tmp`;
  await fs.promises.writeFile(tmp, text);
  await fs.promises.rename(tmp, confPath);
}

/** bulwark's JSON log lines (stdout, written to a file) with the given event. */
function logEvents(event) {
  const out = [];
  for (const line of fs.readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.includes(`"event":"${event}"`)) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line still being written
    }
  }
  return out;
}

async function startBulwark(setup) {
  fs.writeFileSync(confPath, configText(setup, route));
  const out = fs.openSync(logPath, 'w');
  const child = spawnTracked('bulwark', process.execPath, [BULWARK_CLI, 'start', '-c', confPath], { cwd: REPO_ROOT, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  try {
    await waitHttp200(`http://127.0.0.1:${setup.adminPort}/healthz`, child);
  } catch (e) {
    await stop(child);
    throw new Error(`bulwark did not become ready: ${e.message}\n--- bulwark output (tail) ---\n${fs.readFileSync(logPath, 'utf8').slice(-2000)}`);
  }
  return child;
}

/** (a) One save at a time: ms from the write completing to the first response from the new group. */
async function measureSaveToServe(setup, bulwark) {
  const client = new Client(`http://127.0.0.1:${setup.port}`, { pipelining: 1 });
  const ports = { blue: new Set(setup.blue.map((o) => String(o.port))), green: new Set(setup.green.map((o) => String(o.port))) };
  const samples = [];
  const savedAt = [];
  const logged0 = logEvents('config_reloaded').length;
  const rejected0 = logEvents('config_rejected').length;
  let requests = 0;
  let non200 = 0;
  try {
    for (let i = 0; i < SAVES; i++) {
      if (bulwark.exitCode !== null) throw new Error('bulwark exited during the save→serve runs');
      const active = await switchRoute(setup);
      const t0 = performance.now();
      savedAt.push(Date.now());
      let ms = null;
      while (performance.now() - t0 < SERVE_TIMEOUT_MS) {
        const r = await client.request({ path: '/', method: 'GET' });
        await r.body.dump();
        requests++;
        if (r.statusCode !== 200) non200++;
        else if (ports[active].has(String(r.headers['x-origin']))) {
          ms = performance.now() - t0;
          break;
        }
      }
      samples.push(ms === null ? null : Math.round(ms * 10) / 10);
      process.stdout.write(ms === null ? ' FAILED' : ` ${Math.round(ms)}`);
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
  } finally {
    process.stdout.write('\n');
    await client.close();
  }
  const ok = samples.filter((s) => s !== null).sort((a, b) => a - b);
  // When bulwark applied each save (its config_reloaded log time, ms resolution): the part
  // of the latency spent noticing and applying the change, before the first request.
  await new Promise((r) => setTimeout(r, 300)); // bulwark's log batch
  const reloads = logEvents('config_reloaded').slice(logged0);
  const appliedMs = reloads.length === SAVES ? reloads.map((l, i) => l.time - savedAt[i]) : [];
  return {
    saves: SAVES,
    applied: reloads.length,
    rejected: logEvents('config_rejected').length - rejected0,
    samplesMs: samples,
    appliedMs,
    appliedMedianMs: median(appliedMs),
    appliedMaxMs: appliedMs.length ? Math.max(...appliedMs) : null,
    failed: samples.length - ok.length,
    medianMs: median(ok),
    p90Ms: ok.length ? ok[Math.min(ok.length - 1, Math.ceil(ok.length * 0.9) - 1)] : null,
    minMs: ok.length ? ok[0] : null,
    maxMs: ok.length ? ok.at(-1) : null,
    firstMs: samples[0] ?? null,
    pollRequests: requests,
    pollNon200: non200,
  };
}

/** (b) autocannon for LOAD_SECONDS while the file is saved every INTERVAL_MS. */
async function measureUnderLoad(setup) {
  const before = { reloaded: logEvents('config_reloaded').length, rejected: logEvents('config_rejected').length };
  const run = autocannon({ url: `http://127.0.0.1:${setup.port}/`, connections: CONNECTIONS, duration: LOAD_SECONDS, pipelining: 1 });
  const savedAt = [];
  let loading = true;
  const saver = (async () => {
    const start = performance.now();
    while (loading) {
      await new Promise((r) => setTimeout(r, start + (savedAt.length + 1) * INTERVAL_MS - performance.now()));
      if (!loading || performance.now() - start > LOAD_SECONDS * 1000 - INTERVAL_MS / 2) break;
      await switchRoute(setup);
      savedAt.push(Date.now());
    }
  })();
  const r = await run;
  loading = false;
  await saver;
  await new Promise((res) => setTimeout(res, 1000)); // the last reload and bulwark's log batch
  // Each save's reload: the first config_reloaded logged after it and before the next save.
  // None means the save was taken in with the next one (the reload came after that save).
  const reloads = logEvents('config_reloaded').slice(before.reloaded).map((l) => l.time);
  const lags = savedAt.map((t, i) => {
    const r = reloads.find((x) => x >= t && x < (savedAt[i + 1] ?? Infinity));
    return r === undefined ? null : r - t;
  });
  const applied = lags.filter((x) => x !== null);
  return {
    connections: CONNECTIONS,
    seconds: LOAD_SECONDS,
    intervalMs: INTERVAL_MS,
    requests: r.requests.total,
    rps: r.requests.mean,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    latencyP99Ms: r.latency.p99,
    saves: savedAt.length,
    reloadsApplied: reloads.length,
    reloadsRejected: logEvents('config_rejected').length - before.rejected,
    savesTakenInWithTheNext: lags.length - applied.length,
    appliedLagMs: lags,
    appliedMedianMs: median(applied),
    appliedMaxMs: applied.length ? Math.max(...applied) : null,
  };
}

const f = (v, d = 0) => (v == null ? '-' : Number(v).toFixed(d));

function renderTable(head, rows) {
  const cells = [head, ...rows].map((r) => r.map(String));
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function main() {
  const startedAt = new Date();
  console.log(`reload bench: ${SAVES} saves; load ${CONNECTIONS} connections x ${LOAD_SECONDS} s, a save every ${INTERVAL_MS} ms | node ${process.version}, ${os.cpus().length} CPUs`);
  const origins = await startOrigins(4);
  const setup = { port: await freePort(), adminPort: await freePort(), blue: origins.slice(0, 2), green: origins.slice(2) };
  console.log(`origins: blue ${setup.blue.map((o) => o.port).join(', ')} | green ${setup.green.map((o) => o.port).join(', ')}`);
  const bulwark = await startBulwark(setup);
  console.log(`bulwark pid ${bulwark.pid} on 127.0.0.1:${setup.port} (admin ${setup.adminPort}), config ${confPath}`);

  process.stdout.write('(a) save→serve ms:');
  const latency = await measureSaveToServe(setup, bulwark);
  process.stdout.write(`(b) load with a save every ${INTERVAL_MS} ms... `);
  const load = await measureUnderLoad(setup);
  console.log('done');
  if (bulwark.exitCode !== null) throw new Error(`bulwark exited (code ${bulwark.exitCode})`);
  await stop(bulwark);

  console.log('\n' + renderTable(
    ['(a) save→serve', 'saves', 'median ms', 'p90 ms', 'min ms', 'max ms', 'first ms', 'failed', 'applied', 'rejected', 'applied median ms', 'applied max ms'],
    [['route blue⇄green', latency.saves, f(latency.medianMs, 1), f(latency.p90Ms, 1), f(latency.minMs, 1), f(latency.maxMs, 1), f(latency.firstMs, 1), latency.failed, latency.applied, latency.rejected, f(latency.appliedMedianMs), f(latency.appliedMaxMs)]],
  ));
  console.log('\n' + renderTable(
    ['(b) under load', 'requests', 'req/s', '2xx', 'non-2xx', 'errors', 'timeouts', 'p99 ms', 'saves', 'applied', 'rejected', 'merged', 'applied median ms', 'applied max ms'],
    [
      [
        `${load.connections} conns x ${load.seconds} s`,
        load.requests,
        f(load.rps),
        load.ok2xx,
        load.non2xx,
        load.errors,
        load.timeouts,
        load.latencyP99Ms,
        load.saves,
        load.reloadsApplied,
        load.reloadsRejected,
        load.savesTakenInWithTheNext,
        f(load.appliedMedianMs),
        f(load.appliedMaxMs),
      ],
    ],
  ));
  const v = reloadVerdict({ latency, load }, GOALS);
  const word = (p) => (p.pass === null ? `no verdict (${p.reasons.join('; ')})` : p.pass ? 'PASS' : 'FAIL');
  const verdict = {
    saveToServe: v.saveToServe.pass === null ? 'none' : v.saveToServe.pass ? 'PASS' : 'FAIL',
    errorsUnderLoad: v.underLoad.pass === null ? 'none' : v.underLoad.pass ? 'PASS' : 'FAIL',
    reasons: [...v.saveToServe.reasons, ...v.underLoad.reasons],
    line:
      `verdict: save→serve max ${f(latency.maxMs, 1)} ms (goal < ${GOALS.saveToServeMaxMs}): ${word(v.saveToServe)} | ` +
      `under load ${load.errors + load.timeouts} errors, ${load.non2xx} non-2xx (goal 0): ${word(v.underLoad)}`,
  };
  console.log(`\n${verdict.line}`);

  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: { saves: SAVES, loadSeconds: LOAD_SECONDS, connections: CONNECTIONS, intervalMs: INTERVAL_MS, gapMs: GAP_MS, serveTimeoutMs: SERVE_TIMEOUT_MS, origins: 4 },
    env: { node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().map((c) => c.model) },
    goals: GOALS,
    saveToServe: latency,
    underLoad: load,
    verdict,
  };
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `reload-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return latency.failed > 0 ? 1 : 0;
}

exitAfter(main(), cleanup);
