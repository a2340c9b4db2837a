// Soak: SOAK_REQUESTS (default 1,000,000) requests through bulwark with every feature on
// (the bench's `bulwark-full` target: health check every 1 s, outlier detection, the
// error-rate breaker, retries: { attempts: 2 }, JSON access log to a file), RSS sampled
// from /proc/<pid>/status. Issue 15's goals: RSS after 1M requests within 10% of RSS
// after 100k, and no sockets left over once the load stops. See benchmarks/README.md.
//
// The load is given in chunks of SOAK_CHECKPOINT requests (autocannon `amount`, fresh
// client connections per chunk, so connections are opened and closed all along); RSS is
// read at the end of each chunk (the checkpoints compared) and every second during it.
// Exit status 0 whatever the verdict; 1 when bulwark dies or the run fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { cpuSeconds } from './lib/proc.js';
import { exitAfter, guardRun } from './lib/lifecycle.js';
import { TARGETS, BENCH_DIR, BULWARK_CLI, startOrigins } from './lib/targets.js';
import { rssBytes, processSockets } from './lib/procfs.js';
import { envInt } from './lib/env.js';

const REQUESTS = envInt('SOAK_REQUESTS', 1_000_000);
const CHECKPOINT = Math.min(envInt('SOAK_CHECKPOINT', 100_000), REQUESTS);
const CONNECTIONS = envInt('SOAK_CONNECTIONS', 50);
const ORIGINS = 3;
const RSS_GOAL = 1.1; // issue 15: RSS after 1M within 10% of RSS after 100k
// bulwark's defaults (README): an idle pooled upstream connection is closed after
// `keep_alive` (4 s), an idle client connection after `front.timeouts.keep_alive` (5 s).
const SHORT_SETTLE_MS = 1000;
const LONG_SETTLE_MS = 7000;

if (!fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${BULWARK_CLI} is missing): run \`npm run build\` first`);
  process.exit(1);
}
// Generous: 1M requests at 2,000 req/s, plus starting and settling.
const { tmpDir, cleanup } = guardRun('soak', (REQUESTS / 2000 + 120) * 1000);
const MB = (b) => (b == null ? '-' : (b / 2 ** 20).toFixed(1));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const portOf = (url) => Number(new URL(url).port);

async function main() {
  const startedAt = new Date();
  console.log(`soak: ${REQUESTS} requests through bulwark-full, ${CONNECTIONS} connections, checkpoints every ${CHECKPOINT} | node ${process.version}, ${os.cpus().length} CPUs`);
  const origins = await startOrigins(ORIGINS);
  const t = await TARGETS['bulwark-full']({ origins, tmpDir });
  const pid = t.cpuPids[0];
  const ports = { listenPorts: [portOf(t.url), portOf(t.adminUrl)], originPorts: origins.map((o) => o.port) };
  const alive = () => fs.existsSync(`/proc/${pid}`);
  console.log(`bulwark pid ${pid} on ${t.url}, RSS at start ${MB(rssBytes(pid))} MB`);

  const totals = { completed: 0, non2xx: 0, errors: 0, timeouts: 0 };
  const samples = []; // every second: { s, completedBefore, rss }
  const checkpoints = []; // end of each chunk: { requests, rss, seconds }
  const t0 = Date.now();
  const cpu0 = cpuSeconds(pid);
  const timer = setInterval(() => samples.push({ s: (Date.now() - t0) / 1000, completedBefore: totals.completed, rss: rssBytes(pid) }), 1000);
  try {
    for (let sent = 0; sent < REQUESTS; ) {
      const amount = Math.min(CHECKPOINT, REQUESTS - sent);
      const r = await autocannon({ url: t.url, connections: CONNECTIONS, amount });
      sent += amount;
      totals.completed += r.requests.total;
      totals.non2xx += r.non2xx;
      totals.errors += r.errors;
      totals.timeouts += r.timeouts;
      if (!alive()) throw new Error(`bulwark (pid ${pid}) died after ${totals.completed} requests`);
      const cp = { requests: sent, completed: totals.completed, rss: rssBytes(pid), seconds: (Date.now() - t0) / 1000 };
      checkpoints.push(cp);
      console.log(`  ${String(sent).padStart(8)} requests  ${cp.seconds.toFixed(0).padStart(4)} s  RSS ${MB(cp.rss)} MB  (${Math.round(r.requests.average)} req/s)`);
    }
  } finally {
    clearInterval(timer);
  }
  const cpuUsPerReq = ((cpuSeconds(pid) - cpu0) * 1e6) / totals.completed;
  await sleep(SHORT_SETTLE_MS);
  const socketsShort = processSockets(pid, ports);
  await sleep(LONG_SETTLE_MS - SHORT_SETTLE_MS);
  const socketsLong = processSockets(pid, ports);
  const rssEnd = rssBytes(pid);
  await t.stop();
  const log = t.after();

  const first = checkpoints[0];
  const last = checkpoints[checkpoints.length - 1];
  const rssRatio = last.rss / first.rss;
  const rssMax = Math.max(...samples.map((s) => s.rss ?? 0), ...checkpoints.map((c) => c.rss));
  // After the short settle the clients are gone; pooled upstream connections may remain (at
  // most `connections`, 128, per origin). After the long one (past keep_alive) the pools are
  // idle and closed: left are the two listeners and at most one health check per origin.
  const pooledMax = ORIGINS * 128;
  const sockOk = (s, maxToOrigins) => s.fromClients === 0 && s.other === 0 && s.listening === 2 && s.toOrigins <= maxToOrigins;
  const socketsPass = sockOk(socketsShort, pooledMax) && sockOk(socketsLong, ORIGINS);
  const rssPass = rssRatio <= RSS_GOAL;
  const failures = totals.non2xx + totals.errors + totals.timeouts;

  const fmtSock = (s) =>
    `${s.total} sockets: ${s.listening} listening, ${s.toOrigins} to origins, ${s.fromClients} from clients, ${s.other} other${s.otherStates.length ? ` (${s.otherStates.slice(0, 5).join(', ')})` : ''}, ${s.nonTcp} non-TCP`;
  console.log(`\nrequests: ${totals.completed} completed, ${totals.non2xx} non-2xx, ${totals.errors} errors, ${totals.timeouts} timeouts; ${(totals.completed / last.seconds).toFixed(0)} req/s; ${cpuUsPerReq.toFixed(1)} µs CPU/req; ${log.accessLogLines} access-log lines`);
  console.log(`RSS: ${MB(first.rss)} MB after ${first.requests}, ${MB(last.rss)} MB after ${last.requests} (ratio ${rssRatio.toFixed(3)}, goal ≤ ${RSS_GOAL}); max ${MB(rssMax)} MB; ${MB(rssEnd)} MB after settling`);
  console.log(`sockets ${SHORT_SETTLE_MS / 1000} s after the load: ${fmtSock(socketsShort)} (expected: 2 listening, 0 from clients, 0 other, ≤ ${pooledMax} pooled to origins)`);
  console.log(`sockets ${LONG_SETTLE_MS / 1000} s after the load: ${fmtSock(socketsLong)} (expected: 2 listening, 0 from clients, 0 other, ≤ ${ORIGINS} to origins: pools idle past keep_alive 4 s, a health check in flight per origin)`);
  const verdictLine =
    `verdict: RSS ${rssPass ? 'PASS' : 'FAIL'} (${rssRatio.toFixed(3)}× after ${last.requests} vs ${first.requests}, goal ≤ ${RSS_GOAL}×)  |  ` +
    `sockets ${socketsPass ? 'PASS' : 'FAIL'}  |  errors ${failures === 0 ? 'PASS' : 'FAIL'} (${totals.non2xx} non-2xx, ${totals.errors + totals.timeouts} errors)`;
  console.log(`\n${verdictLine}`);

  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `soak-${startedAt.toISOString().replace(/:/g, '-')}.json`);
  const result = {
    startedAt: startedAt.toISOString(),
    config: { requests: REQUESTS, checkpoint: CHECKPOINT, connections: CONNECTIONS, origins: ORIGINS, target: 'bulwark-full' },
    env: { node: process.version, cpus: os.cpus().length },
    totals,
    cpuUsPerReq,
    accessLogLines: log.accessLogLines,
    checkpoints,
    samples,
    rss: { first: first.rss, last: last.rss, ratio: rssRatio, max: rssMax, end: rssEnd, goal: RSS_GOAL },
    sockets: { short: socketsShort, long: socketsLong },
    verdict: { rss: rssPass, sockets: socketsPass, errors: failures === 0, line: verdictLine },
  };
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  return 0;
}

exitAfter(main(), cleanup);
