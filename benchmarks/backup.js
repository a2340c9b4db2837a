// Backup benchmark: snapshot and restore 100k sticky sessions, and the proxy's latency
// while snapshots run.
//
// Usage: npm run build && node benchmarks/backup.js
//
// 1. library   dist/backup directly (no network, no child process): createSnapshot of
//              BACKUP_SESSIONS entries, verifySnapshot, readSnapshot (verify + parse, the
//              read half of a restore); plain and encrypted; median of BACKUP_ROUNDS.
// 2. end to end  the real path: `node dist/cli/main.js start` (one upstream, sticky cookie
//              mode, two origin.js origins), BACKUP_SESSIONS entries loaded through
//              POST /sessions/import, then the real CLI as a child process:
//                create   `bulwark backup create` (GET /config + GET /sessions/export,
//                         parse, write; the CLI's own "(N ms)" and the whole process)
//                restore  `bulwark backup restore ID --only sessions` (verify, read,
//                         POST /sessions/import?mode=replace; the CLI's own "(N ms)" and
//                         the whole process)
//                import   POST /sessions/import?mode=replace of the same table alone
//              The whole-process times include starting node (~50-150 ms on a quiet machine).
// 3. p99       autocannon against that bulwark (BACKUP_CONNECTIONS connections, each request
//              carrying the cookie of one of 1000 pinned sessions) for BACKUP_DURATION s:
//              "none" without snapshots, and "snapshots" while a standalone agent
//              (`bulwark backup agent`, keep_last 3, backup.interval BACKUP_AGENT_INTERVAL,
//              default 200ms: back to back) snapshots the 100k table, and "export only": GET /sessions/export every
//              200 ms from a child process and nothing else (the proxy's share of a
//              snapshot, for attribution).
//              The three take turns for BACKUP_ROUNDS rounds; the table shows medians.
//              Latency percentiles come from every response time (float ms).
//              Target: p99 with snapshots <= 1.2x without (median of per-round ratios).
//              No verdict (and why) when a round's load overlapped no snapshot (the agent's
//              snapshot_created lines: end time and duration), with non-2xx or errors, or
//              from a single round (lib/verdicts.js). Snapshot time under load and the share
//              of the load a snapshot was running are reported.
// A table goes to stdout and the result to benchmarks/results/backup-<timestamp>.json. The
// run stops by itself (a hard time limit included) and stops every child it started.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { guardRun, exitAfter } from './lib/lifecycle.js';
import { freePort, spawnTracked, stop, waitHttp200 } from './lib/proc.js';
import { median } from './lib/stats.js';
import { p99Verdict, snapshotOverlap } from './lib/verdicts.js';
import { BENCH_DIR, BULWARK_CLI, REPO_ROOT, startOrigins } from './lib/targets.js';

const num = (name, def) => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const SESSIONS = Math.round(num('BACKUP_SESSIONS', 100_000));
const ROUNDS = Math.round(num('BACKUP_ROUNDS', 5));
const DURATION = num('BACKUP_DURATION', 8);
const CONNECTIONS = Math.round(num('BACKUP_CONNECTIONS', 20));
/** The standalone agent's backup.interval in the "snapshots" condition (bulwark validates it). */
const AGENT_INTERVAL = process.env.BACKUP_AGENT_INTERVAL ?? '200ms';
const TARGET_MS = 1000;
const CONDITIONS = ['none', 'snapshots', 'export only'];
const P99_RATIO_MAX = 1.2;
const HARD_LIMIT_MS = (120 + ROUNDS * 3 * (DURATION + 15)) * 1000;
if (!fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${path.relative(process.cwd(), BULWARK_CLI)} is missing): run \`npm run build\` first`);
  process.exit(1);
}
const lib = await import(path.join(REPO_ROOT, 'dist', 'backup', 'index.js'));

const { tmpDir, cleanup } = guardRun('backup', HARD_LIMIT_MS);

const ms = (t0) => Math.round((performance.now() - t0) * 10) / 10;

function sessionTable(n, servers) {
  const expires_at = Date.now() + 3_600_000;
  return Array.from({ length: n }, (_, i) => ({ key: `s${i.toString(36).padStart(21, '0')}`, upstream: 'web', server: servers[i % servers.length], expires_at }));
}
const { encodeNdjson: ndjson } = await import(path.join(REPO_ROOT, 'dist', 'balancer', 'sticky', 'index.js'));

/** 1. The library alone. */
async function libraryTimes() {
  const sessions = sessionTable(SESSIONS, ['a', 'b']);
  const out = {};
  for (const [mode, key] of [['plain', undefined], ['encrypted', 'bench key']]) {
    const dir = fs.mkdtempSync(path.join(tmpDir, `lib-${mode}-`));
    const samples = { create: [], verify: [], read: [] };
    let bytes = 0;
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now();
      const m = await lib.createSnapshot(dir, { configText: 'upstreams: {}\n', configVersion: 1, sessions, key });
      samples.create.push(ms(t0));
      bytes = m.parts.sessions.bytes;
      t0 = performance.now();
      const v = await lib.verifySnapshot(dir, m.id, { key });
      samples.verify.push(ms(t0));
      if (!v.ok) throw new Error(`library snapshot does not verify: ${v.problems.join('; ')}`);
      t0 = performance.now();
      const data = await lib.readSnapshot(dir, m.id, { key });
      samples.read.push(ms(t0));
      if (data.sessions.length !== SESSIONS) throw new Error(`read ${data.sessions.length} sessions, wrote ${SESSIONS}`);
    }
    out[mode] = { createMs: median(samples.create), verifyMs: median(samples.verify), readMs: median(samples.read), samples, sessionsBytes: bytes };
  }
  return out;
}

function request(url, method, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function runCli(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BULWARK_CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout, wallMs: ms(t0) }) : reject(new Error(`bulwark ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

function writeConf(name, origins, ports, backup) {
  const file = path.join(tmpDir, name);
  const lines = [
    `listen: 127.0.0.1:${ports.proxy}`,
    `admin: { listen: 127.0.0.1:${ports.admin} }`,
    'log: { level: info, access: false }',
    'upstreams:',
    '  web:',
    `    sticky: { mode: cookie, ttl: 1h, max_entries: ${SESSIONS * 2} }`,
    '    servers:',
    ...origins.map((o, i) => `      - { name: ${'ab'[i]}, url: http://127.0.0.1:${o.port} }`),
    'routes:',
    '  - upstream: web',
    `backup: { dir: backups, ${backup} }`,
    '',
  ];
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

/** 2. and 3. against a real bulwark. */
async function endToEnd() {
  const origins = await startOrigins(2);
  const ports = { proxy: await freePort(), admin: await freePort() };
  // bulwark's own agent idles (1h); the p99 runs start a standalone one snapshotting every
  // AGENT_INTERVAL (back to back at the default 200ms).
  const conf = writeConf('bulwark.yaml', origins, ports, 'interval: 1h, keep_last: 3, keep_within: 1ms, on_reload: false');
  const agentConf = writeConf('agent.yaml', origins, ports, `interval: ${AGENT_INTERVAL}, keep_last: 3, keep_within: 1ms, on_reload: false`);
  const admin = `http://127.0.0.1:${ports.admin}`;
  const bw = spawnTracked('bulwark', process.execPath, [BULWARK_CLI, 'start', '-c', conf], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitHttp200(`${admin}/healthz`, bw);
  const hostHeader = { host: `127.0.0.1:${ports.admin}` };
  const table = sessionTable(SESSIONS, ['a', 'b']);
  const body = ndjson(table);
  let t0 = performance.now();
  const imp = await request(`${admin}/sessions/import?mode=replace`, 'POST', body, hostHeader);
  const importMs = ms(t0);
  if (imp.status !== 200) throw new Error(`import answered ${imp.status}: ${imp.text}`);
  t0 = performance.now();
  const exp = await request(`${admin}/sessions/export`, 'GET', undefined, hostHeader);
  const exportMs = ms(t0);
  if (exp.text.split('\n').length - 1 !== SESSIONS) throw new Error('export does not hold every session');

  const created = await runCli(['backup', 'create', '-c', conf, '--admin', admin]);
  const id = /created snapshot (\S+)/.exec(created.stdout)[1];
  const createMs = Number(/\((\d+) ms\)/.exec(created.stdout)[1]);
  const restored = await runCli(['backup', 'restore', id, '--only', 'sessions', '-c', conf, '--admin', admin]);
  const restoreMs = Number(/done \((\d+) ms\)/.exec(restored.stdout)[1]);
  const cli = { createMs, createWallMs: created.wallMs, restoreMs, restoreWallMs: restored.wallMs, importMs, exportMs };

  const cookies = table.slice(0, 1000).map((e) => `bulwark_sid=${e.key}`);
  const samples = Object.fromEntries(CONDITIONS.map((c) => [c, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no condition always runs first.
    for (const cond of CONDITIONS.map((_, k) => CONDITIONS[(k + r) % CONDITIONS.length])) {
      const side = cond === 'snapshots' ? { agentConf, admin } : cond === 'export only' ? { exportUrl: `${admin}/sessions/export`, hostHeader } : {};
      samples[cond].push(await loadSample(`http://127.0.0.1:${ports.proxy}/`, cookies, side));
    }
  }
  await stop(bw);
  await Promise.all(origins.map((o) => stop(o.child)));
  return { cli, samples };
}

/**
 * GET /sessions/export every 200 ms until stopped, from a child process (the load
 * generator's own event loop must not receive the ~10 MB exports): the proxy's part of a
 * snapshot alone.
 */
function exportLoop(url, headers) {
  const child = spawnTracked('export-loop', process.execPath, [path.join(BENCH_DIR, 'lib', 'export-loop.js'), url, headers.host, '200'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return async () => {
    await stop(child, 15_000);
    return Number(out.trim()) || 0;
  };
}

async function loadSample(url, cookies, agent) {
  let child;
  let agentOut;
  const snaps = [];
  const stopExports = agent.exportUrl === undefined ? undefined : exportLoop(agent.exportUrl, agent.hostHeader);
  if (agent.agentConf !== undefined) {
    child = spawnTracked('agent', process.execPath, [BULWARK_CLI, 'backup', 'agent', '-c', agent.agentConf, '--admin', agent.admin], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout });
    agentOut = new Promise((resolve) => lines.once('close', resolve));
    lines.on('line', (line) => {
      const l = JSON.parse(line);
      if (l.event === 'snapshot_created') snaps.push(l);
      if (l.event === 'snapshot_failed') console.error(`agent: ${l.msg}`);
    });
    await new Promise((resolve, reject) => {
      const t = setInterval(() => snaps.length > 0 && (clearInterval(t), resolve()), 20);
      setTimeout(() => (clearInterval(t), reject(new Error('the agent took no snapshot within 15 s'))), 15_000).unref();
    });
  }
  let i = 0;
  const t0 = Date.now();
  const run = autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, cookie: cookies[i++ % cookies.length] } }) }],
  });
  // Every response time as autocannon measured it (float ms): its own histogram keeps
  // whole milliseconds, too coarse for a 1.2x ratio of p99s of a few ms.
  const times = [];
  run.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  const result = await run;
  const t1 = Date.now();
  const sorted = Float64Array.from(times).sort();
  const pct = (q) => (sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 100) / 100);
  // Every snapshot_created line, a snapshot still running at t1 included: the agent's last
  // lines are read once its stdout closes.
  if (child !== undefined) await Promise.all([stop(child), agentOut]);
  const during = snapshotOverlap(snaps, t0, t1);
  const exports = stopExports === undefined ? 0 : await stopExports();
  return {
    rps: result.requests.mean,
    p50: pct(0.5),
    p99: pct(0.99),
    p999: pct(0.999),
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    non2xxAndErrors: result.non2xx + result.errors + result.timeouts,
    // Snapshots that overlapped [t0, t1] (the exports, for "export only"), their durations
    // and the share of the load a snapshot was running.
    snapshots: during.count + exports,
    snapshotMs: median(during.durationsMs),
    snapshotMaxMs: during.count > 0 ? Math.max(...during.durationsMs) : null,
    snapshotCoveredPct: child === undefined ? null : Math.round((during.coveredMs / Math.max(1, t1 - t0)) * 1000) / 10,
  };
}

function fmtTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => (c === 0 ? String(v).padEnd(widths[c]) : String(v).padStart(widths[c]))).join('  ')).join('\n');
}

async function main() {
  const startedAt = new Date();
  console.log(`backup benchmark: ${SESSIONS} sessions, ${ROUNDS} rounds, load ${CONNECTIONS} connections x ${DURATION}s, agent interval ${AGENT_INTERVAL} | node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const library = await libraryTimes();
  const { cli, samples } = await endToEnd();
  const ms2 = (xs) => Math.round(median(xs) * 100) / 100;
  const cond = (name) => ({
    rps: median(samples[name].map((s) => s.rps)),
    p50: ms2(samples[name].map((s) => s.p50)),
    p99: ms2(samples[name].map((s) => s.p99)),
    p999: ms2(samples[name].map((s) => s.p999)),
    max: Math.max(...samples[name].map((s) => s.max)),
    snapshots: samples[name].reduce((n, s) => n + s.snapshots, 0),
    snapshotMs: median(samples[name].map((s) => s.snapshotMs)),
    snapshotMaxMs: samples[name].reduce((m, s) => Math.max(m, s.snapshotMaxMs ?? -Infinity), -Infinity),
    snapshotCoveredPct: median(samples[name].map((s) => s.snapshotCoveredPct)),
    errors: samples[name].reduce((n, s) => n + s.non2xxAndErrors, 0),
  });
  const load = Object.fromEntries(CONDITIONS.map((c) => [c, cond(c)]));
  // Per round (same round, similar machine state), then the median over rounds.
  const p99 = p99Verdict({ none: samples.none, snapshots: samples.snapshots }, P99_RATIO_MAX);
  const snapRatios = p99.perRound;
  const exportRatios = samples.none.map((n, r) => (n.p99 > 0 ? samples['export only'][r].p99 / n.p99 : null));
  const p99Ratio = p99.ratio;
  const exportRatio = median(exportRatios);
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const r2 = (x) => (x == null ? '-' : x.toFixed(2));
  console.log(`\n${fmtTable([
    ['step', 'ms', 'target'],
    ['library create (plain)', library.plain.createMs, `< ${TARGET_MS} ${verdict(library.plain.createMs < TARGET_MS)}`],
    ['library verify (plain)', library.plain.verifyMs, ''],
    ['library read = restore read (plain)', library.plain.readMs, `< ${TARGET_MS} ${verdict(library.plain.readMs < TARGET_MS)}`],
    ['library create (encrypted)', library.encrypted.createMs, ''],
    ['library read (encrypted)', library.encrypted.readMs, ''],
    ['CLI create, in process (export + write)', cli.createMs, `< ${TARGET_MS} ${verdict(cli.createMs < TARGET_MS)}`],
    ['CLI create, whole process', cli.createWallMs, ''],
    ['CLI restore --only sessions, in process (read + import)', cli.restoreMs, `< ${TARGET_MS} ${verdict(cli.restoreMs < TARGET_MS)}`],
    ['CLI restore --only sessions, whole process', cli.restoreWallMs, ''],
    ['admin POST /sessions/import alone (proxy side)', cli.importMs, ''],
    ['admin GET /sessions/export alone (proxy side)', cli.exportMs, ''],
  ])}`);
  console.log(`\n${fmtTable([
    ['load', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'snapshots / exports', 'snapshot ms', 'covered %', 'non-2xx + errors'],
    ...CONDITIONS.map((n) => [n, Math.round(load[n].rps), load[n].p50, load[n].p99, load[n].p999, load[n].max, load[n].snapshots, load[n].snapshotMs ?? '-', load[n].snapshotCoveredPct ?? '-', load[n].errors]),
  ])}`);
  const snapLoad = load.snapshots;
  console.log(
    `snapshot time under load: median ${snapLoad.snapshotMs ?? '-'} ms, max ${Number.isFinite(snapLoad.snapshotMaxMs) ? snapLoad.snapshotMaxMs : '-'} ms ` +
      `over the ${snapLoad.snapshots} snapshots that overlapped the measured load; a snapshot was running during ${snapLoad.snapshotCoveredPct ?? '-'}% of it ` +
      `(median of rounds) | per round: ${samples.snapshots.map((s) => `${s.snapshots} (${s.snapshotCoveredPct}%)`).join(' ')} | idle proxy: CLI create ${cli.createMs} ms in process`,
  );
  console.log(`p99 per round, snapshots / none: ${snapRatios.map(r2).join(' ')} | export only / none: ${exportRatios.map(r2).join(' ')}`);
  console.log(
    `p99 with snapshots / without (median of per-round ratios): ${r2(p99Ratio)} (target <= ${P99_RATIO_MAX}: ` +
      `${p99.pass === null ? `no verdict: ${p99.reasons.join('; ')}` : verdict(p99.pass)}); export only / without: ${r2(exportRatio)}`,
  );
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    config: { sessions: SESSIONS, rounds: ROUNDS, duration: DURATION, connections: CONNECTIONS, agentInterval: AGENT_INTERVAL },
    env: { node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, loadavg: os.loadavg() },
    library,
    cli,
    load: { ...load, p99Ratio, exportRatio, p99Verdict: p99.pass === null ? 'none' : verdict(p99.pass), p99Reasons: p99.reasons, samples },
  };
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `backup-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return 0;
}

exitAfter(main(), cleanup);
