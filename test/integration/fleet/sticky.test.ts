/**
 * @module test/integration/fleet/sticky
 * Sticky tables shared by a fleet through a real redis-server (issue 17): real bulwark
 * processes (test/helpers/fleet) in front of three real origins. A session pinned on one
 * node is honoured by the others (learn, header, ip; cookie mode through a signed cookie);
 * a node killed with SIGKILL under load loses no session when its clients move on; Redis
 * killed under load fails no request, and the pins made during the outage reach Redis when
 * it returns.
 */
import type http from 'node:http';
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFleet, uniquePrefix, type NodeSpec, type TestFleet } from '../../helpers/fleet.js';
import { startRedis } from '../../helpers/redis.js';
import { waitAsync } from '../../helpers/group.js';
import { useHarness } from '../../helpers/harness.js';
import { send, waitFor } from '../../helpers/net.js';
import { assertBuilt as built, runCli, tempConfig } from '../../helpers/cli.js';
import type { Origin } from '../../helpers/origin.js';

const h = useHarness();
const NAMES = ['a', 'b', 'c'];
const COOKIE_KEY_ENV = 'BULWARK_TEST_STICKY_COOKIE_KEY';
let sessions = 0;

beforeAll(built);

/** An origin answering with its name, which gives a client without one a session cookie SID. */
function sessionOrigin(name: string): http.RequestListener {
  return (req, res) => {
    const headers: Record<string, string> = { 'x-origin': name };
    if (!/(^|; )SID=/.test(req.headers.cookie ?? '')) headers['set-cookie'] = `SID=${name}-${++sessions}; Path=/`;
    res.writeHead(200, headers);
    res.end(name);
  };
}

/**
 * One upstream per sticky mode over the same three origins, routed by path prefix.
 * `servers(node)`: how many of the origins a node has (default all three).
 */
function config(origins: readonly Origin[], fleetExtra = 'timeout: 1s', top = '', servers = (_node: string) => origins.length): (spec: NodeSpec) => string {
  const modes: Record<string, string> = { learn: '{ mode: learn, name: SID }', header: '{ mode: header, name: X-Session }', ip: '{ mode: ip }', cookie: '{ mode: cookie }' };
  return (spec) =>
    [
      'listen: 127.0.0.1:0',
      'admin: { listen: 127.0.0.1:0 }',
      'log: { level: info, access: false }',
      top,
      // Generous: a busy 2-core machine may take a while to answer a GET.
      spec.fleetBlock(fleetExtra),
      'upstreams:',
      ...Object.entries(modes).flatMap(([name, sticky]) => [
        `  ${name}:`,
        '    scheduler: round-robin',
        `    sticky: ${sticky}`,
        '    servers:',
        ...origins.slice(0, servers(spec.name)).map((o, i) => `      - { url: "${o.url}", name: ${NAMES[i]} }`),
      ]),
      'routes:',
      ...Object.keys(modes).map((m) => `  - { match: { path_prefix: /${m}/ }, upstream: ${m} }`),
      '',
    ].join('\n');
}

interface Answer {
  status: number;
  origin: string;
  setCookie: string[];
}

/** One request on a fresh connection (so that a node's workers all get some). */
async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const r = await send(base, { path, headers });
  return { status: r.status, origin: String(r.headers['x-origin'] ?? ''), setCookie: ([] as string[]).concat(r.headers['set-cookie'] ?? []) };
}

/** Sends one command to Redis over a raw connection (RESP); resolves with the first reply line. */
async function redisCommand(port: number, args: readonly string[]): Promise<string> {
  return (await redisReply(port, args)).split('\r\n')[0]!;
}

/** GET's value, or undefined for none. */
async function redisGet(port: number, key: string): Promise<string | undefined> {
  const [head, value] = (await redisReply(port, ['GET', key])).split('\r\n');
  return head === '$-1' ? undefined : value;
}

/** The reply to one command, as read until its first complete line (and a bulk string's value line). */
function redisReply(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (c) => {
      data += String(c);
      const lines = data.split('\r\n');
      if (lines.length > (/^\$\d/.test(data) ? 2 : 1)) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}

function cookie(a: Answer, name: string): string {
  const c = a.setCookie.find((s) => s.startsWith(`${name}=`));
  expect(c, `Set-Cookie ${name}`).toBeDefined();
  return c!.slice(name.length + 1).split(';')[0]!;
}

/**
 * Waits until Redis holds a pin of `upstream` for `key` (a KEYS pattern): a pin is written
 * just after the response that made it, so a client as quick as this test could ask another
 * node before it lands (on a busy machine the node can be descheduled in between).
 */
async function inRedis(f: TestFleet, upstream: string, key: string): Promise<void> {
  await waitAsync(async () => (await redisCommand(f.redis.port, ['KEYS', `${f.prefix}sticky:${upstream}:${key}`])) !== '*0', 10_000, `the pin ${upstream}:${key} in Redis`);
}

async function fleetOf(n: number, fleetExtra?: string, top?: string, servers?: (node: string) => number): Promise<TestFleet> {
  const origins = await Promise.all(NAMES.map((name) => h.origin(sessionOrigin(name))));
  const f = await startFleet(h, { names: ['lb-a', 'lb-b', 'lb-c'].slice(0, n), config: config(origins, fleetExtra, top, servers) });
  // Connected, and the first write-back done: from here a pin made on one node reaches Redis at once.
  await waitFor(() => f.nodes.every((x) => events(f, x.name, 'fleet_sticky_resynced') >= 1), 30_000, 'every node to sync with Redis');
  return f;
}

const events = (f: TestFleet, node: string, event: string): number => f.node(node).proc.logs().filter((l) => l['event'] === event).length;

/** Each session's requests, sent by `next(session, i)`'s node until stop(); what each session saw. */
function load(cookies: readonly string[], node: (session: number, i: number) => string): { stop(): Promise<void>; origins: Array<Set<string>>; statuses: number[]; failed: () => number } {
  const origins = cookies.map(() => new Set<string>());
  const statuses: number[] = [];
  let errors = 0;
  let running = true;
  const loops = cookies.map(async (c, s) => {
    for (let i = 0; running; i++) {
      try {
        const r = await get(node(s, i), '/learn/', { cookie: `SID=${c}` });
        statuses.push(r.status);
        origins[s]!.add(r.origin);
      } catch {
        errors++;
      }
    }
  });
  return {
    origins,
    statuses,
    failed: () => errors + statuses.filter((x) => x !== 200).length,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function learnt(base: string, n: number): Promise<Array<{ cookie: string; origin: string }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await get(base, '/learn/');
    out.push({ cookie: cookie(r, 'SID'), origin: r.origin });
  }
  return out;
}

/** Every node but the first answers each of `n` requests from the origin the first pinned. */
async function honoured(f: TestFleet, path: string, headers: Record<string, string>, pinned: string, n = 3): Promise<void> {
  for (const node of f.nodes.slice(1)) for (let i = 0; i < n; i++) expect((await get(node.url, path, headers)).origin).toBe(pinned);
}

describe('sticky tables shared through Redis', () => {
  it('a session pinned on A is honoured by B and C: learn, header and ip mode', async () => {
    const f = await fleetOf(3);
    const [a] = f.nodes;
    for (let s = 0; s < 4; s++) {
      const learnt = await get(a!.url, '/learn/');
      await inRedis(f, 'learn', cookie(learnt, 'SID'));
      await honoured(f, '/learn/', { cookie: `SID=${cookie(learnt, 'SID')}` }, learnt.origin);
      const session = { 'x-session': `user-${s}` };
      const pinned = (await get(a!.url, '/header/', session)).origin;
      await inRedis(f, 'header', `user-${s}`);
      await honoured(f, '/header/', session, pinned);
    }
    // Every client of this test is 127.0.0.1: one session.
    const ip = (await get(a!.url, '/ip/')).origin;
    await inRedis(f, 'ip', '*');
    await honoured(f, '/ip/', {}, ip, 6);
  }, 90_000);

  it('cookie mode with fleet.cookie_key_env: a signed, opaque cookie any node routes, with Redis down', async () => {
    process.env[COOKIE_KEY_ENV] = 'k'.repeat(16) + '0123456789abcdef';
    h.defer(() => delete process.env[COOKIE_KEY_ENV]);
    const f = await fleetOf(3, `cookie_key_env: ${COOKIE_KEY_ENV}`);
    await f.redis.stop();
    const first = await get(f.nodes[0]!.url, '/cookie/');
    const value = cookie(first, 'bulwark_sid');
    expect(value).toMatch(/^[\w-]{22}\.[\w-]{16}\.[\w-]{22}$/);
    // Opaque: nothing of the server's address, in clear or decoded (its name is checked in the unit test).
    const port = new URL(f.nodes[0]!.url).port;
    for (const text of [value, ...value.split('.').map((p) => Buffer.from(p, 'base64url').toString('latin1'))]) expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
    expect(value).not.toContain(port);
    await honoured(f, '/cookie/', { cookie: `bulwark_sid=${value}` }, first.origin);
    // A tampered cookie does not verify: a fresh one, for whichever server answered.
    const forged = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');
    const again = await get(f.nodes[1]!.url, '/cookie/', { cookie: `bulwark_sid=${forged}` });
    expect(cookie(again, 'bulwark_sid')).not.toBe(forged);
  }, 90_000);

  it('a pin naming a server this node does not have is re-pinned and counted (server_not_in_view)', async () => {
    // lb-b has servers a and b only: the third session A pins (round-robin: to c) is not in its view.
    const f = await fleetOf(2, undefined, '', (node) => (node === 'lb-b' ? 2 : 3));
    const onC = (await learnt(f.nodes[0]!.url, 3)).find((x) => x.origin === 'c')!;
    await inRedis(f, 'learn', onC.cookie);
    const moved = await get(f.nodes[1]!.url, '/learn/', { cookie: `SID=${onC.cookie}` });
    expect(['a', 'b']).toContain(moved.origin);
    expect((await get(f.nodes[1]!.url, '/learn/', { cookie: `SID=${onC.cookie}` })).origin).toBe(moved.origin);
    const metrics = await (await fetch(`${f.nodes[1]!.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^bulwark_sticky_reassignments_total\{upstream="learn",reason="server_not_in_view"\} 1$/m);
  }, 90_000);

  it('kill -9 A under load: its clients move to B and lose no session', async () => {
    const f = await fleetOf(2);
    const [a, b] = [f.nodes[0]!, f.nodes[1]!];
    const pins = await learnt(a.url, 20);
    for (const p of pins) await inRedis(f, 'learn', p.cookie);
    const onB = pins.map(() => 0);
    // Each client sends to A until A fails it, then to B (a client's own failover).
    const current = pins.map(() => a.url);
    const run = load(pins.map((p) => p.cookie), (s) => current[s]!);
    await new Promise((r) => setTimeout(r, 500));
    await f.kill('lb-a');
    const moved = load(pins.map((p) => p.cookie), (s) => (onB[s]!++, b.url));
    await waitFor(() => onB.every((n) => n >= 5), 30_000, 'every client to reach B five times');
    await run.stop();
    await moved.stop();
    expect(moved.failed()).toBe(0);
    pins.forEach((p, s) => expect([...moved.origins[s]!], `session ${s}`).toEqual([p.origin]));
    pins.forEach((p, s) => expect([...run.origins[s]!].filter((o) => o !== p.origin), `session ${s} on A`).toEqual([]));
  }, 90_000);

  it('Redis killed under load: no request fails, sessions keep their server, and pins made meanwhile reach Redis when it returns', async () => {
    const f = await fleetOf(3);
    const nodes = f.nodes.map((n) => n.url);
    const pins = await learnt(nodes[0]!, 12);
    // Each session's requests go round the three nodes.
    const run = load(pins.map((p) => p.cookie), (s, i) => nodes[(s + i) % 3]!);
    await new Promise((r) => setTimeout(r, 1000));
    await f.redis.stop();
    await waitFor(() => f.nodes.every((n) => events(f, n.name, 'fleet_redis_down') === 1), 20_000, 'every node to see Redis gone');
    // Sessions that start during the outage, on A only.
    const during = await learnt(nodes[0]!, 3);
    await new Promise((r) => setTimeout(r, 1000));
    await f.redis.restart();
    await waitFor(() => f.nodes.every((n) => events(f, n.name, 'fleet_sticky_resynced') === 2), 30_000, 'every node to write its pins back');
    await run.stop();
    expect(run.failed()).toBe(0);
    expect(run.statuses.length).toBeGreaterThan(100);
    pins.forEach((p, s) => expect([...run.origins[s]!], `session ${s}`).toEqual([p.origin]));
    // B and C never saw these sessions: they read them from the restarted Redis.
    for (const d of during) await honoured(f, '/learn/', { cookie: `SID=${d.cookie}` }, d.origin);
  }, 120_000);

  it('works with workers: 2 on a node: each worker reads and writes the shared table', async () => {
    const origins = await Promise.all(NAMES.map((name) => h.origin(sessionOrigin(name))));
    const withWorkers = config(origins);
    const f = await startFleet(h, { names: ['lb-a', 'lb-b'], config: (spec) => withWorkers(spec).replace('listen: 127.0.0.1:0\n', spec.name === 'lb-a' ? 'listen: 127.0.0.1:0\nworkers: 2\n' : 'listen: 127.0.0.1:0\n') });
    // Each of lb-a's two workers syncs on its own connection.
    await waitFor(() => events(f, 'lb-a', 'fleet_sticky_resynced') >= 2 && events(f, 'lb-b', 'fleet_sticky_resynced') >= 1, 30_000, 'every process to sync with Redis');
    const [a, b] = [f.nodes[0]!, f.nodes[1]!];
    for (let s = 0; s < 4; s++) {
      // Pinned on the single node, honoured by both workers (fresh connections: cluster hands them round).
      const onB = await get(b.url, '/header/', { 'x-session': `b-${s}` });
      await inRedis(f, 'header', `b-${s}`);
      for (let i = 0; i < 4; i++) expect((await get(a.url, '/header/', { 'x-session': `b-${s}` })).origin).toBe(onB.origin);
      // Learnt by a worker, honoured by the single node.
      const onA = await get(a.url, '/learn/');
      await inRedis(f, 'learn', cookie(onA, 'SID'));
      for (let i = 0; i < 3; i++) expect((await get(b.url, '/learn/', { cookie: `SID=${cookie(onA, 'SID')}` })).origin).toBe(onA.origin);
    }
    // Pins a worker read from Redis reach its group's tables too (the primary's: export, backups).
    const exported = async (): Promise<string> => (await fetch(`${a.adminUrl}/sessions/export`)).text();
    await waitAsync(async () => {
      const text = await exported();
      return [0, 1, 2, 3].every((s) => text.includes(`"key":"b-${s}"`));
    }, 10_000, "the pins read from Redis in lb-a's primary");
  }, 90_000);

  it('a session used only on A outlives its ttl on B too (batched touches restart its ttl in Redis)', async () => {
    const origins = await Promise.all(NAMES.map((name) => h.origin(sessionOrigin(name))));
    const base = config(origins);
    const f = await startFleet(h, { names: ['lb-a', 'lb-b'], config: (spec) => base(spec).replace('{ mode: header, name: X-Session }', '{ mode: header, name: X-Session, ttl: 2s }') });
    await waitFor(() => f.nodes.every((x) => events(f, x.name, 'fleet_sticky_resynced') >= 1), 30_000, 'every node to sync with Redis');
    const session = { 'x-session': 'long' };
    const pinned = (await get(f.nodes[0]!.url, '/header/', session)).origin;
    await inRedis(f, 'header', 'long');
    // Twice the ttl of use on A alone: without touches the Redis key would expire after 2 s.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      expect((await get(f.nodes[0]!.url, '/header/', session)).origin).toBe(pinned);
      await new Promise((r) => setTimeout(r, 100));
    }
    await honoured(f, '/header/', session, pinned);
  }, 90_000);

  it('a malformed pin in Redis is logged and skipped: the request is balanced and served', async () => {
    const f = await fleetOf(1);
    for (const [key, value] of [['ctl', 'a\u0001b'], ['long', 'x'.repeat(300)]] as const) {
      expect(await redisCommand(f.redis.port, ['SET', `${f.prefix}sticky:header:${key}`, value])).toBe('+OK');
      const r = await get(f.nodes[0]!.url, '/header/', { 'x-session': key });
      expect(r.status).toBe(200);
      expect(NAMES).toContain(r.origin);
    }
    const bad = await f.nodes[0]!.proc.waitForLog((l) => l['event'] === 'fleet_sticky_invalid', 10_000);
    expect(bad).toMatchObject({ upstream: 'header', key: 'ctl' });
    // The node's own pin went to Redis over the bad value.
    await waitAsync(async () => (await redisCommand(f.redis.port, ['GET', `${f.prefix}sticky:header:ctl`])).startsWith('$1'), 10_000, 'the re-pin in Redis');
  }, 90_000);

  it('refuses to start when fleet.cookie_key_env names an unset or short variable', async () => {
    const origins = await Promise.all(NAMES.map((name) => h.origin(sessionOrigin(name))));
    const yaml = config(origins, `cookie_key_env: ${COOKIE_KEY_ENV}_UNSET`)({ name: 'lb-a', redisUrl: 'redis://127.0.0.1:1', prefix: 'p:', fleetBlock: (extra) => `fleet: { redis: "redis://127.0.0.1:1", node: lb-a, ${extra} }` });
    const file = await tempConfig(h, yaml);
    const r = await runCli(['start', '-c', file], 20_000);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`fleet.cookie_key_env: names ${COOKIE_KEY_ENV}_UNSET, which is not set or empty`);
  }, 60_000);

  it('a hung Redis holds a request with an unknown key no longer than fleet.timeout', async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const origins = await Promise.all(NAMES.map((name) => h.origin(sessionOrigin(name))));
    const yaml = config(origins, 'timeout: 20ms')({ name: 'lb-a', redisUrl: redis.url, prefix: 'p:', fleetBlock: (extra) => `fleet: { redis: "${redis.url}", node: lb-a, prefix: "${uniquePrefix('hung')}", ${extra} }` });
    const bw = await h.bulwark(yaml, { watch: false });
    await waitFor(() => bw.logs.some((l) => l['event'] === 'fleet_sticky_resynced'), 30_000, 'the first sync');
    redis.pause();
    h.defer(() => redis.resume());
    // Sent at once, before the link's next PING can call Redis hung: each looks its key up.
    const took = await Promise.all(Array.from({ length: 20 }, async (_x, i) => {
      const t = Date.now();
      expect((await get(bw.url, '/header/', { 'x-session': `hung-${i}` })).status).toBe(200);
      return Date.now() - t;
    }));
    // Unbounded, each would wait for the link's 2 s command timeout; 20 ms is the bound, the rest is a busy machine's slack.
    expect(Math.max(...took)).toBeLessThan(1500);
  }, 60_000);

  it("a lookup that outlasts fleet.timeout costs one stray request: the fleet's pin wins back, here and in Redis", async () => {
    const redis = await startRedis();
    h.defer(() => redis.close());
    const origins = await Promise.all(NAMES.map((name) => h.origin(sessionOrigin(name))));
    const prefix = uniquePrefix('late');
    const yamlOf = (name: string): string => config(origins, 'timeout: 20ms')({ name, redisUrl: redis.url, prefix, fleetBlock: (extra) => `fleet: { redis: "${redis.url}", node: ${name}, prefix: "${prefix}", ${extra} }` });
    const a = await h.bulwark(yamlOf('lb-a'), { watch: false });
    const b = await h.bulwark(yamlOf('lb-b'), { watch: false });
    await waitFor(() => [a, b].every((n) => n.logs.some((l) => l['event'] === 'fleet_sticky_resynced')), 30_000, 'the first sync');
    const pins: string[] = [];
    for (let i = 0; i < 3; i++) pins.push((await get(a.url, '/header/', { 'x-session': `late-${i}` })).origin);
    const rk = (i: number): string => `${prefix}sticky:header:late-${i}`;
    await waitAsync(async () => (await Promise.all(pins.map(async (p, i) => (await redisGet(redis.port, rk(i))) === p))).every(Boolean), 10_000, 'the pins in Redis');
    // One request without a key moves lb-b's round-robin off lb-a's: its picks below differ from the pins.
    await get(b.url, '/header/');
    redis.pause();
    const strays = [];
    try {
      for (let i = 0; i < 3; i++) strays.push((await get(b.url, '/header/', { 'x-session': `late-${i}` })).origin);
    } finally {
      redis.resume(); // well within the link's 2 s command timeout: its reads are answered late, not lost
    }
    expect(strays).not.toEqual(pins);
    await waitAsync(async () => (await Promise.all(pins.map(async (p, i) => (await redisGet(redis.port, rk(i))) === p))).every(Boolean), 10_000, "the fleet's pins back in Redis");
    for (let i = 0; i < 3; i++) expect((await get(b.url, '/header/', { 'x-session': `late-${i}` })).origin).toBe(pins[i]);
  }, 60_000);
});
