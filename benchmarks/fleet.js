// Fleet benchmark (issue 17): three bulwark nodes sharing one Redis, on one machine.
//
// Usage: npm run build && node benchmarks/fleet.js
//
// Three origins (origin.js), one redis-server (lib/redis.js) and three nodes lb-a, lb-b and
// lb-c (`bulwark start`, each its own process, with the same `fleet: { redis, prefix }`),
// upstream `app` over servers o1-o3 with sticky learn mode (JSESSIONID). Three parts:
//   (a) override propagation: FLEET_TRIES times (default 20), alternately drain and enable
//       app/o2 on lb-b's admin API; the time from sending the POST until lb-a's and lb-c's
//       GET /servers/app/o2 show the change (each polled on its own connection every 2 ms).
//   (b) config push: FLEET_TRIES times, POST /fleet/config to lb-b with the shared blocks
//       (upstreams and routes) whose route sets the response field X-Fleet-Push: N; the time
//       from sending it until each node serves a response carrying N (GET / polled every 2 ms).
//   (c) session loss when a node dies: FLEET_CLIENTS clients start sessions through lb-a
//       (one request in 5 starts one: origin.js sets JSESSIONID) and reuse them; at
//       FLEET_KILL_AT_MS lb-a is SIGKILLed. Then each session whose Set-Cookie answer came
//       before the kill is sent to lb-b, lb-c, lb-b, lb-c, one request at a time; it is
//       lost when one of them reaches another origin than the one that started it (a node
//       that does not know the key pins it where its round-robin points: a lost session goes
//       unseen only when both nodes pick its origin, 1 in 9).
// For (a) and (b): p50 and max over the tries of the slowest node, and per node. For (c): the
// sessions, the lost ones, and how many of those were started in the last 100 ms before the
// kill (a pin goes to Redis asynchronously, off the request path).
// A part whose first try never propagates within PROPAGATION_LIMIT_MS (10 s) stops and says so
// (a build without that part of the fleet). The result goes to
// benchmarks/results/fleet-<timestamp>.json. Bounded in time; stops every child process it
// started, also on Ctrl-C or failure. Linux; everything on 127.0.0.1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Client } from 'undici';
import { envInt } from './lib/env.js';
import { guardRun, exitAfter } from './lib/lifecycle.js';
import { freePort, spawnTracked, stop, waitHttp200 } from './lib/proc.js';
import { percentile } from './lib/percentile.js';
import { startRedisServer } from './lib/redis.js';
import { saveResult } from './lib/results.js';
import { BULWARK_CLI, REPO_ROOT, startOrigins } from './lib/targets.js';

const TRIES = envInt('FLEET_TRIES', 20);
const CLIENTS = envInt('FLEET_CLIENTS', 20);
const KILL_AT_MS = envInt('FLEET_KILL_AT_MS', 3000);
/** fleet.timeout of the nodes (ms; unset: bulwark's default): how long a sticky lookup may wait on Redis. */
const NODE_TIMEOUT_MS = process.env.FLEET_TIMEOUT_MS === undefined ? undefined : envInt('FLEET_TIMEOUT_MS', 5);
const PROPAGATION_LIMIT_MS = 10_000;
const POLL_MS = 2;
const NAMES = ['lb-a', 'lb-b', 'lb-c'];
const PREFIX = `bench:${process.pid}:`;

if (!fs.existsSync(BULWARK_CLI)) {
  console.error(`bulwark is not built (${path.relative(process.cwd(), BULWARK_CLI)} is missing): run \`npm run build\` first`);
  process.exit(1);
}
const { tmpDir, cleanup } = guardRun('fleet', (2 * TRIES * (PROPAGATION_LIMIT_MS / 1000 + 1) + KILL_AT_MS / 1000 + 120) * 1000);

/** The shared blocks: what a push carries, and what every node's local file starts with. */
function sharedBlocks(origins, pushed) {
  return [
    'upstreams:',
    '  app:',
    '    sticky: { mode: learn, name: JSESSIONID }',
    '    servers:',
    ...origins.map((o, i) => `      - { url: "http://127.0.0.1:${o.port}", name: o${i + 1} }`),
    'routes:',
    '  - upstream: app',
    ...(pushed === undefined ? [] : [`    headers: { response: { set: { X-Fleet-Push: "${pushed}" } } }`]),
    '',
  ].join('\n');
}

async function startNode(name, redis, origins) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const conf = path.join(tmpDir, `${name}.yaml`);
  const local = [`listen: 127.0.0.1:${port}`, `admin: { listen: 127.0.0.1:${adminPort} }`, 'log: { level: info, access: false }'];
  fs.writeFileSync(conf, [...local, `fleet: { redis: "${redis.url}", node: ${name}, prefix: "${PREFIX}"${NODE_TIMEOUT_MS === undefined ? '' : `, timeout: ${NODE_TIMEOUT_MS}ms`} }`, sharedBlocks(origins)].join('\n'));
  const child = spawnTracked(name, process.execPath, [BULWARK_CLI, 'start', '-c', conf], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  child.stderr.on('data', (d) => (tail = (tail + d).slice(-2000)));
  readline.createInterface({ input: child.stdout }).on('line', (l) => (tail = (tail + l + '\n').slice(-2000)));
  try {
    await waitHttp200(`http://127.0.0.1:${adminPort}/healthz`, child, 20_000);
  } catch (e) {
    throw new Error(`${name} did not become ready: ${e.message}\n${tail}`);
  }
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  return { name, child, url, adminUrl, proxy: new Client(url), admin: new Client(adminUrl) };
}

async function call(client, opts) {
  const r = await client.request({ method: 'GET', path: '/', ...opts });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text };
}

/** Polls `check(node)` on each node apart until it holds; resolves with ms since t0 per node (null past the limit). */
function untilEach(nodes, t0, check) {
  return Promise.all(
    nodes.map(async (n) => {
      while (performance.now() - t0 < PROPAGATION_LIMIT_MS) {
        if (await check(n).catch(() => false)) return performance.now() - t0;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      return null;
    }),
  );
}

/**
 * Runs up to TRIES changes; each resolves with ms per observing node, or a string saying why the
 * change was refused. Stops at a refused change or one that never propagates.
 */
async function propagation(label, observers, tryOnce) {
  const tries = [];
  for (let i = 0; i < TRIES; i++) {
    const t = await tryOnce(i);
    if (typeof t === 'string') {
      console.log(`  ${label}: ${t}; stopping this part`);
      break;
    }
    tries.push(t);
    if (t.some((ms) => ms === null)) {
      console.log(`  ${label}: try ${i + 1} did not reach ${observers.filter((_, k) => t[k] === null).map((n) => n.name).join(', ')} within ${PROPAGATION_LIMIT_MS} ms; stopping this part`);
      break;
    }
    await new Promise((r) => setTimeout(r, 100)); // let the nodes settle between tries
  }
  const done = tries.filter((t) => t.every((ms) => ms !== null));
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  const slowest = sorted(done.map((t) => Math.max(...t)));
  const perNode = Object.fromEntries(observers.map((n, k) => [n.name, { p50: percentile(sorted(done.map((t) => t[k])), 0.5), max: percentile(sorted(done.map((t) => t[k])), 1) }]));
  return { tries: tries.length, propagated: done.length, p50: percentile(slowest, 0.5), max: percentile(slowest, 1), perNode, raw: tries };
}

/** (a) drain / enable app/o2 on lb-b, observed on lb-a and lb-c. */
function overrides(nodes) {
  const [a, b, c] = nodes;
  return propagation('override', [a, c], async (i) => {
    const draining = i % 2 === 0;
    const t0 = performance.now();
    const r = await call(b.admin, { method: 'POST', path: `/servers/app/o2/${draining ? 'drain' : 'enable'}` });
    if (r.status !== 200) throw new Error(`POST drain/enable on lb-b: ${r.status} ${r.text}`);
    return untilEach([a, c], t0, async (n) => {
      const s = JSON.parse((await call(n.admin, { path: '/servers/app/o2' })).text);
      return s.flags.includes('draining') === draining;
    });
  });
}

/** (b) POST /fleet/config to lb-b, observed by serving on every node. */
function configPush(nodes, origins) {
  return propagation('config push', nodes, async (i) => {
    const mark = `${process.pid}-${i + 1}`;
    const t0 = performance.now();
    const r = await call(nodes[1].admin, { method: 'POST', path: '/fleet/config', headers: { 'content-type': 'application/yaml' }, body: sharedBlocks(origins, mark) });
    if (r.status !== 200) return `POST /fleet/config answered ${r.status}: ${r.text.trim().slice(0, 200)}`;
    return untilEach(nodes, t0, async (n) => (await call(n.proxy, {})).headers['x-fleet-push'] === mark);
  });
}

/** (c) sessions through lb-a under load, lb-a SIGKILLed, every session checked on lb-b and lb-c. */
async function failover(nodes, origins) {
  const [a, b, c] = nodes;
  const originOf = Object.fromEntries(origins.map((o, i) => [String(o.port), `o${i + 1}`]));
  const sessions = []; // { id, origin, at }
  let killedAt = null;
  let requests = 0;
  let mismatchBeforeKill = 0;
  const client = async (k) => {
    const conn = new Client(a.url);
    const mine = [];
    try {
      for (let n = 0; killedAt === null; n++) {
        const fresh = mine.length === 0 || n % 5 === 0;
        const id = fresh ? `c${k}-${n}` : mine[n % mine.length].id;
        const r = await call(conn, { headers: fresh ? { 'x-bench-session': id } : { cookie: `JSESSIONID=${id}` } });
        requests++;
        const origin = originOf[r.headers['x-origin']];
        if (fresh && r.headers['set-cookie'] !== undefined && killedAt === null) {
          const s = { id, origin, at: Date.now() };
          mine.push(s);
          sessions.push(s);
        } else if (!fresh && killedAt === null && origin !== mine[n % mine.length].origin) mismatchBeforeKill++;
      }
    } catch {
      // lb-a is gone: this client's requests end here
    } finally {
      await conn.destroy().catch(() => {});
    }
  };
  const load = Array.from({ length: CLIENTS }, (_, k) => client(k));
  await new Promise((r) => setTimeout(r, KILL_AT_MS));
  killedAt = Date.now();
  a.child.kill('SIGKILL');
  await Promise.all(load);
  await a.child.exited;
  let lost = 0;
  let lostRecent = 0;
  let recent = 0;
  for (const s of sessions) {
    const late = killedAt - s.at <= 100;
    if (late) recent++;
    let ok = true;
    for (const n of [b, c, b, c]) {
      const r = await call(n.proxy, { headers: { cookie: `JSESSIONID=${s.id}` } });
      if (originOf[r.headers['x-origin']] !== s.origin) ok = false;
    }
    if (!ok) {
      lost++;
      if (late) lostRecent++;
    }
  }
  return { sessions: sessions.length, lost, startedLast100ms: recent, lostStartedLast100ms: lostRecent, requestsThroughA: requests, mismatchBeforeKill };
}

async function waitFleetHealthy(nodes) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const views = await Promise.all(nodes.map(async (n) => JSON.parse((await call(n.admin, { path: '/status' })).text).fleet));
    if (views.every((f) => f.connected && f.nodes.filter((x) => x.healthy).length === nodes.length)) return;
    if (Date.now() > deadline) throw new Error(`the fleet never showed ${nodes.length} healthy nodes: ${JSON.stringify(views)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ms = (v) => (v === null || v === undefined ? '-' : v.toFixed(1));

async function main() {
  const startedAt = new Date();
  console.log(`fleet: 3 nodes, 1 redis-server, 3 origins | ${TRIES} tries per propagation part | fleet.timeout ${NODE_TIMEOUT_MS === undefined ? 'default' : `${NODE_TIMEOUT_MS}ms`} | node ${process.version}, ${os.cpus().length} CPUs`);
  const origins = await startOrigins(3);
  const redis = await startRedisServer();
  const nodes = [];
  for (const name of NAMES) nodes.push(await startNode(name, redis, origins));
  await waitFleetHealthy(nodes);
  console.log('fleet up: 3 nodes healthy in every node\'s /status');

  console.log('(a) override propagation: drain/enable app/o2 on lb-b, seen on lb-a and lb-c');
  const override = await overrides(nodes);
  console.log(`  slowest node: p50 ${ms(override.p50)} ms, max ${ms(override.max)} ms over ${override.propagated}/${override.tries} tries; ` + Object.entries(override.perNode).map(([n, v]) => `${n} p50 ${ms(v.p50)} max ${ms(v.max)}`).join(', '));
  console.log('(b) config push: POST /fleet/config to lb-b, served by lb-a, lb-b and lb-c');
  const push = await configPush(nodes, origins);
  console.log(`  slowest node: p50 ${ms(push.p50)} ms, max ${ms(push.max)} ms over ${push.propagated}/${push.tries} tries; ` + Object.entries(push.perNode).map(([n, v]) => `${n} p50 ${ms(v.p50)} max ${ms(v.max)}`).join(', '));
  // A part that stopped early may leave o2 drained: clear it everywhere, or (c) would count re-pins.
  for (const n of nodes) await call(n.admin, { method: 'POST', path: '/servers/app/o2/enable' });
  console.log(`(c) session loss: ${CLIENTS} clients on lb-a, SIGKILL at ${KILL_AT_MS} ms, every session replayed on lb-b and lb-c`);
  const fail = await failover(nodes, origins);
  console.log(`  ${fail.sessions} sessions, ${fail.lost} lost (${fail.lostStartedLast100ms} of them among the ${fail.startedLast100ms} started in the last 100 ms before the kill); ${fail.requestsThroughA} requests through lb-a, ${fail.mismatchBeforeKill} off their pin before the kill`);

  for (const n of nodes) await Promise.all([n.proxy.close(), n.admin.close()]).catch(() => {});
  await Promise.all(nodes.map((n) => stop(n.child)));
  const config = { tries: TRIES, clients: CLIENTS, killAtMs: KILL_AT_MS, nodeTimeoutMs: NODE_TIMEOUT_MS ?? 'default', pollMs: POLL_MS, limitMs: PROPAGATION_LIMIT_MS };
  console.log(`results: ${saveResult('fleet', startedAt, config, { override, configPush: push, failover: fail })}`);
  return 0;
}

exitAfter(main(), cleanup);
