// How to start each benchmark target. Every starter resolves with
//   { url, cpuPids, stop(), after?() }
// where `cpuPids` are the processes whose CPU time is charged to the target
// and `after()` (optional) returns extra facts collected once it has stopped.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, spawnReady, spawnTracked, waitHttp200, stop } from './proc.js';
import { proxyCommand } from './pin.js';
import { PEER_TARGETS } from './peers.js';
import { benchCert } from './certs.js';
import { startRedisServer } from './redis.js';
import { learnLoad } from './sessions.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = path.resolve(HERE, '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const BULWARK_CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** Start `n` origin processes; resolves with [{ child, port }]. */
export function startOrigins(n) {
  return Promise.all(Array.from({ length: n }, (_, i) => spawnReady(`origin${i + 1}`, path.join(BENCH_DIR, 'origin.js'), [0])));
}

/** "direct": hit the first origin, charge the CPU of all origins (informational). */
async function direct({ origins }) {
  return {
    url: `http://127.0.0.1:${origins[0].port}/`,
    cpuPids: origins.map((o) => o.child.pid),
    stop: async () => {},
  };
}

/** A standalone proxy script from this folder: `<script> 0 <originPorts...>`; `tls`: serving certs.js's certificate. */
function scriptProxy(name, file, env, tls = false) {
  return async ({ origins, tmpDir }) => {
    // ACCESS_LOG names a file in the run's temporary folder (each target has its own).
    let e = env?.ACCESS_LOG === undefined ? env : { ...env, ACCESS_LOG: path.join(tmpDir, `${name}-${env.ACCESS_LOG}`) };
    if (tls) e = { ...e, TLS_CERT: benchCert(tmpDir).cert, TLS_KEY: benchCert(tmpDir).key };
    const { child, port } = await spawnReady(name, path.join(BENCH_DIR, file), [0, ...origins.map((o) => o.port)], { env: e, pinned: true });
    return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`, cpuPids: [child.pid], stop: () => stop(child) };
  };
}

/** bulwark via its CLI, round-robin, JSON access log on stdout -> a real file. */
const bulwark = (ctx) => startBulwark(ctx, 'bulwark', true);
/** The same with the access log off: the difference is the access log's cost. */
const bulwarkNoLog = (ctx) => startBulwark(ctx, 'bulwark-nolog', false);
/**
 * `bulwark` with every fault-tolerance feature on, as issue 15 defines "all features": an
 * HTTP health check every 1 s, outlier detection, the error-rate breaker and two retries
 * (the access log is on in both). The difference to `bulwark` is what the features cost.
 */
const FULL_FEATURES = [
  `    health_check: { path: /, interval: 1s }`,
  `    outlier_detection: {}`,
  `    circuit_breaker: { error_rate: 50% }`,
  `    retries: { attempts: 2 }`,
];
const bulwarkFull = (ctx) => startBulwark(ctx, 'bulwark-full', true, BULWARK_CLI, FULL_FEATURES);
/** `bulwark-with-<feature>`: `bulwark` plus one line of FULL_FEATURES, to find which feature costs what. */
const ONE_FEATURE = { health: 0, outlier: 1, breaker: 2, retries: 3 };
const bulwarkWith = (feature) => (ctx) => startBulwark(ctx, `bulwark-with-${feature}`, true, BULWARK_CLI, [FULL_FEATURES[ONE_FEATURE[feature]]]);
/**
 * Another build of bulwark, configured as `bulwark`: BENCH_B_CLI names its dist/cli/main.js
 * (e.g. a worktree of the previous commit), so two builds take turns in one run.
 */
const bulwarkB = (ctx) => startBulwark(ctx, 'bulwark-b', true, buildB('bulwark-b'));
/** The other build with every feature on, configured as `bulwark-full`. */
const bulwarkFullB = (ctx) => startBulwark(ctx, 'bulwark-full-b', true, buildB('bulwark-full-b'), FULL_FEATURES);

/**
 * `bulwark` with `workers: BENCH_WORKERS` (default 2). Its CPU is the primary's and every
 * worker's (cluster workers are the primary's children: cpuSeconds sums descendants), and
 * under BENCH_PIN the workers inherit the proxy cores. `after()` counts access lines per pid:
 * how evenly the workers shared the load. The `-rr` and `-none` variants force node:cluster's
 * scheduling policy (NODE_CLUSTER_SCHED_POLICY) to compare the two in one run.
 */
const bulwarkWorkers = (policy) => (ctx) =>
  startBulwark(ctx, policy ? `bulwark-workers-${policy}` : 'bulwark-workers', true, BULWARK_CLI, [], {
    workers: benchWorkers(),
    env: policy ? { NODE_CLUSTER_SCHED_POLICY: policy } : undefined,
  });
/** `bulwark-workers-N`: N workers whatever BENCH_WORKERS says, for a scaling curve in one run. */
const bulwarkWorkersN = (n) => (ctx) => startBulwark(ctx, `bulwark-workers-${n}`, true, BULWARK_CLI, [], { workers: n });
/** `bulwark-full-workers-N`: N workers with every feature on (issue 15: 4 of them against nginx's 1 worker). */
const bulwarkFullWorkersN = (n) => (ctx) => startBulwark(ctx, `bulwark-full-workers-${n}`, true, BULWARK_CLI, FULL_FEATURES, { workers: n });

function benchWorkers() {
  const n = Number(process.env.BENCH_WORKERS ?? 2);
  if (!Number.isInteger(n) || n < 2) throw new Error(`BENCH_WORKERS must be an integer of at least 2, got "${process.env.BENCH_WORKERS}"`);
  return n;
}

/** Access lines per pid in a bulwark access log (JSON lines), largest first: [[pid, lines]]. */
function accessByPid(text) {
  const by = new Map();
  for (const m of text.matchAll(/^\{[^\n]*"pid":(\d+)[^\n]*"msg":"access"/gm)) by.set(m[1], (by.get(m[1]) ?? 0) + 1);
  return [...by].sort((a, b) => b[1] - a[1]).map(([pid, n]) => [Number(pid), n]);
}

function buildB(name) {
  const cli = process.env.BENCH_B_CLI;
  if (!cli || !fs.existsSync(cli)) throw new Error(`${name} needs BENCH_B_CLI=<path to another build's dist/cli/main.js>`);
  return cli;
}

/**
 * bulwark as `bulwark`, with GET /metrics scraped every BENCH_SCRAPE_MS (default 1000 ms, 15×
 * Prometheus' default interval) while it runs: the difference to `bulwark` is what metrics cost,
 * the per-request counting being in both (it is always on) and the rendering in this one only.
 */
const bulwarkScraped = async (ctx) => {
  const every = Number(process.env.BENCH_SCRAPE_MS ?? 1000);
  if (!Number.isFinite(every) || every <= 0) throw new Error('BENCH_SCRAPE_MS must be a positive number of milliseconds');
  const t = await startBulwark(ctx, 'bulwark-scraped', true);
  let scrapes = 0;
  let failures = 0;
  const timer = setInterval(() => {
    fetch(`${t.adminUrl}/metrics`)
      .then(async (r) => {
        await r.text();
        if (r.status === 200) scrapes++;
        else failures++;
      })
      .catch(() => failures++);
  }, every);
  return {
    ...t,
    stop: () => {
      clearInterval(timer);
      return t.stop();
    },
    after: () => ({ ...t.after(), scrapes, scrapeFailures: failures }),
  };
};

/**
 * `bulwark` terminating TLS (HTTP/1.1 only, as nginx-tls and haproxy-tls are): the difference
 * to `bulwark` is what TLS costs per request on kept-alive connections; handshakes.js
 * measures the handshakes themselves.
 */
const bulwarkTls = (ctx) => startBulwark(ctx, 'bulwark-tls', true, BULWARK_CLI, [], { tls: benchCert(ctx.tmpDir) });

/**
 * `bulwark` speaking HTTP/2 to clients: cleartext h2c (prior knowledge), or h2 over TLS by
 * ALPN. For h2.js, whose load generator (h2load) speaks both; autocannon speaks HTTP/1.1 only.
 */
const bulwarkH2c = (ctx) => startBulwark(ctx, 'bulwark-h2c', true, BULWARK_CLI, [], { h2: true });
const bulwarkH2 = (ctx) => startBulwark(ctx, 'bulwark-h2', true, BULWARK_CLI, [], { tls: benchCert(ctx.tmpDir), h2: true });

/**
 * Issue 17's cost of fleet mode: sticky learn mode (`JSESSIONID`, sessions.js's load: one
 * request in 10 starts a session, the others carry a pinned one) on a node alone
 * (`bulwark-sticky`) and on a node of a fleet (`bulwark-fleet`: a redis-server of its own,
 * started with it on the harness's cores, so its CPU is not the proxy's; the pins go to
 * Redis as the fleet shares them). The difference is what fleet mode costs a request. Their
 * p50 and p99 come from every response time (exactLatency: sample.js), not whole milliseconds.
 */
const STICKY_LEARN = [`    sticky: { mode: learn, name: JSESSIONID }`];
const bulwarkSticky = async (ctx) => ({ ...(await startBulwark(ctx, 'bulwark-sticky', true, BULWARK_CLI, STICKY_LEARN)), requests: learnLoad(`s${Date.now()}`), exactLatency: true });
const bulwarkFleet = async (ctx) => {
  const redis = await startRedisServer('redis-bulwark-fleet');
  let t;
  try {
    t = await startBulwark(ctx, 'bulwark-fleet', true, BULWARK_CLI, STICKY_LEARN, { top: [`fleet: { redis: "${redis.url}", node: bench, prefix: "bench:" }`] });
  } catch (e) {
    await redis.stop();
    throw e;
  }
  let redisCpuSeconds = null;
  return {
    ...t,
    requests: learnLoad(`f${Date.now()}`),
    exactLatency: true,
    stop: async () => {
      redisCpuSeconds ??= cpuSeconds(redis.child.pid);
      await t.stop();
      await redis.stop();
    },
    // Redis's CPU over the target's life (warm-up and ramps included), for information.
    after: () => ({ ...t.after(), redisCpuSeconds }),
  };
};

async function startBulwark({ origins, tmpDir }, name, access, cli = BULWARK_CLI, upstreamLines = [], { workers, env, tls, h2 = false, top = [] } = {}) {
  const [port, adminPort] = [await freePort(), await freePort()];
  // Files named after the target: targets of a round run side by side, and a shared conf
  // file would be hot-reloaded by the one that wrote it first.
  const confPath = path.join(tmpDir, `${name}.yaml`);
  const logPath = path.join(tmpDir, `${name}-access.log`);
  const errPath = path.join(tmpDir, `${name}-stderr.log`);
  fs.writeFileSync(
    confPath,
    [
      ...(tls || h2 ? [`listen:`, `  - address: 127.0.0.1:${port}`, ...(tls ? [`    tls: { cert: ${tls.cert}, key: ${tls.key} }`] : []), `    http2: ${h2}`] : [`listen: 127.0.0.1:${port}`]),
      `admin: { listen: 127.0.0.1:${adminPort} }`,
      `log: { level: info, access: ${access} }`,
      ...(workers ? [`workers: ${workers}`] : []),
      ...top,
      `upstreams:`,
      `  bench:`,
      `    scheduler: round-robin`,
      ...upstreamLines,
      `    servers:`,
      ...origins.map((o) => `      - { url: http://127.0.0.1:${o.port} }`),
      `routes:`,
      `  - upstream: bench`,
      ``,
    ].join('\n'),
  );
  // Truncated (a target's files are reused by every round), and O_APPEND: workers share it.
  const { O_WRONLY, O_CREAT, O_TRUNC, O_APPEND } = fs.constants;
  const out = fs.openSync(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
  const err = fs.openSync(errPath, 'w');
  const child = spawnTracked(name, ...proxyCommand(process.execPath, [cli, 'start', '-c', confPath]), {
    cwd: REPO_ROOT,
    stdio: ['ignore', out, err],
    env: env && { ...process.env, ...env },
  });
  fs.closeSync(out); // the child holds its own copies of the fds
  fs.closeSync(err);
  try {
    await waitHttp200(`http://127.0.0.1:${adminPort}/healthz`, child);
    if (workers) await waitHttp200(`http://127.0.0.1:${port}/`, child); // the admin API is the primary's
    if (tls) await waitHttp200(`https://127.0.0.1:${port}/`, child);
  } catch (e) {
    await stop(child);
    const tail = fs.readFileSync(errPath, 'utf8').slice(-2000) + fs.readFileSync(logPath, 'utf8').slice(-1000);
    throw new Error(`bulwark did not become ready: ${e.message}\n--- bulwark output (tail) ---\n${tail}`);
  }
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    cpuPids: [child.pid],
    stop: () => stop(child),
    // Count access-log lines once bulwark has exited (so its buffers are flushed).
    after: () => {
      const text = fs.readFileSync(logPath, 'utf8');
      let lines = 0;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
      // `workers` places the target on the chart's scaling curve (svg-chart.js); plain bulwark is 1.
      const group = workers ? { workers, accessByPid: accessByPid(text) } : name === 'bulwark' ? { workers: 1 } : {};
      return { accessLogLines: lines, accessLogBytes: Buffer.byteLength(text), ...group };
    },
  };
}

/** All targets, in the order they run. */
export const TARGETS = {
  direct,
  bulwark,
  'http-proxy': scriptProxy('http-proxy', 'http-proxy.js'),
  undici: scriptProxy('undici', 'undici-floor.js'),
  // Opt-in (BENCH_TARGETS=...,bulwark-nolog): measures what the access log costs.
  'bulwark-nolog': bulwarkNoLog,
  // Opt-in: every feature on (health checks, outlier detection, breaker, retries); see FULL_FEATURES.
  'bulwark-full': bulwarkFull,
  // Opt-in: one feature each (health, outlier, breaker, retries), against `bulwark`.
  ...Object.fromEntries(Object.keys(ONE_FEATURE).map((f) => [`bulwark-with-${f}`, bulwarkWith(f)])),
  // Opt-in (with BENCH_B_CLI): a second build, to compare two builds side by side.
  'bulwark-b': bulwarkB,
  'bulwark-full-b': bulwarkFullB,
  // Opt-in: bulwark with /metrics scraped while it runs (the cost of metrics, against `bulwark`).
  'bulwark-scraped': bulwarkScraped,
  // Opt-in: BENCH_WORKERS workers (default 2); -rr / -none force cluster's scheduling policy.
  'bulwark-workers': bulwarkWorkers(),
  'bulwark-workers-rr': bulwarkWorkers('rr'),
  'bulwark-workers-none': bulwarkWorkers('none'),
  ...Object.fromEntries([2, 4, 8, 16].map((n) => [`bulwark-workers-${n}`, bulwarkWorkersN(n)])),
  ...Object.fromEntries([2, 4, 8, 16].map((n) => [`bulwark-full-workers-${n}`, bulwarkFullWorkersN(n)])),
  // Opt-in: sticky learn mode alone and in a fleet through Redis (issue 17: the cost of fleet mode).
  'bulwark-sticky': bulwarkSticky,
  'bulwark-fleet': bulwarkFleet,
  // Opt-in: TLS termination, against nginx-tls and haproxy-tls (same certificate: certs.js).
  'bulwark-tls': bulwarkTls,
  // Opt-in, for h2.js (h2load): HTTP/2 to clients, h2c and over TLS.
  'bulwark-h2c': bulwarkH2c,
  'bulwark-h2': bulwarkH2,
  // nginx (1 worker process) and HAProxy (1 thread), when installed (peers.js); -tls: terminating TLS.
  ...PEER_TARGETS,
  // Opt-in: the floor plus the forwarding fields every proxy here must set (see undici-floor.js).
  'undici-fwd': scriptProxy('undici-fwd', 'undici-floor.js', { FORWARDED: '1' }),
  // Opt-in: the same plus bulwark's access log (needs dist/). Not quite all a request must
  // cost: see undici-floor.js for what it leaves out.
  'undici-fwd-log': scriptProxy('undici-fwd-log', 'undici-floor.js', { FORWARDED: '1', ACCESS_LOG: 'access.log' }),
  // Opt-in: the floor over node:https with certs.js's certificate: what Node's TLS costs, for bulwark-tls.
  'undici-tls': scriptProxy('undici-tls', 'undici-floor.js', {}, true),
};
