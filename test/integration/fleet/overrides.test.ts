/**
 * @module test/integration/fleet/overrides
 * Fleet-wide runtime overrides (issue 17) on three real bulwark processes sharing a real
 * redis-server, in front of two counting origins: a drain made on one node stops traffic to
 * that server from every node, and an enable on another brings it back; a weight reaches
 * the others; with Redis killed under load no request fails, and an override made during the
 * outage reaches the other nodes once Redis is back (restarted empty: the nodes write the
 * fleet's overrides back from memory). A malformed record in Redis is logged and skipped.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type TestFleet } from '../../helpers/fleet.js';
import { assertBuilt } from '../../helpers/cli.js';
import { useHarness } from '../../helpers/harness.js';
import { send, waitFor } from '../../helpers/net.js';

const h = useHarness();
// Generous: the suite must pass on a busy 2-core machine.
const WAIT = 30_000;

beforeAll(assertBuilt);

interface Counted { hits: Record<string, number>; urls: string[] }

/** Two origins, s1 and s2, counting the requests that reach each. */
async function origins(): Promise<Counted> {
  const hits: Record<string, number> = { s1: 0, s2: 0 };
  const urls: string[] = [];
  for (const name of ['s1', 's2']) {
    const handler: http.RequestListener = (_req, res) => {
      hits[name]! += 1;
      res.end(name);
    };
    urls.push((await h.origin(handler)).url);
  }
  return { hits, urls };
}

/** `workers`: node c runs that many workers (the Fleet runs in its primary). */
async function fleet(o: Counted, workers = 1): Promise<TestFleet> {
  const f = await startFleet(h, {
    names: ['a', 'b', 'c'],
    config: (spec) =>
      [
        'listen: 127.0.0.1:0',
        `workers: ${spec.name === 'c' ? workers : 1}`,
        'admin: { listen: 127.0.0.1:0 }',
        'log: { level: info, access: false }',
        spec.fleetBlock('timeout: 1s'),
        'upstreams:',
        '  app:',
        '    scheduler: round-robin',
        '    servers:',
        `      - { url: "${o.urls[0]}", name: s1 }`,
        `      - { url: "${o.urls[1]}", name: s2 }`,
        'routes:',
        '  - { match: { path_prefix: / }, upstream: app }',
        '',
      ].join('\n'),
  });
  await waitFor(() => f.nodes.every((n) => events(f, n.name, 'fleet_overrides_resynced') >= 1), WAIT, 'every node to read the overrides');
  return f;
}

const events = (f: TestFleet, node: string, event: string): number => f.node(node).proc.logs().filter((l) => l['event'] === event).length;

async function admin(f: TestFleet, node: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${f.node(node).adminUrl}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect(res.status, await res.text()).toBe(200);
}

interface ServerView { name: string; flags: string[]; weight: number }

async function server(f: TestFleet, node: string, name: string): Promise<ServerView> {
  const res = await fetch(`${f.node(node).adminUrl}/status`);
  const body = (await res.json()) as { upstreams: Array<{ name: string; servers: ServerView[] }> };
  return body.upstreams.find((u) => u.name === 'app')!.servers.find((s) => s.name === name)!;
}

/** Polls every node's /status until `cond` holds of server `name` there. */
async function everywhere(f: TestFleet, name: string, cond: (s: ServerView) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT;
  for (const n of f.nodes) {
    while (!cond(await server(f, n.name, name))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} on ${n.name}: ${JSON.stringify(await server(f, n.name, name))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** `n` requests to each node; the hits each origin got from them. */
async function traffic(f: TestFleet, o: Counted, n: number): Promise<Record<string, number>> {
  const before = { ...o.hits };
  for (const node of f.nodes) for (let i = 0; i < n; i++) expect((await send(node.url)).status).toBe(200);
  return { s1: o.hits['s1']! - before['s1']!, s2: o.hits['s2']! - before['s2']! };
}

describe('fleet-wide runtime overrides', () => {
  it('a drain on B stops traffic to that server from A, B and C (C with 2 workers); an enable on C brings it back; a weight on A reaches all', async () => {
    const o = await origins();
    const f = await fleet(o, 2);
    expect((await traffic(f, o, 10)).s1).toBeGreaterThan(0);

    await admin(f, 'b', '/servers/app/s1/drain');
    await everywhere(f, 's1', (s) => s.flags.includes('draining'), 's1 draining');
    expect(await traffic(f, o, 20)).toEqual({ s1: 0, s2: 60 });
    // Received, not re-published: only B's write went through Redis.
    expect(events(f, 'a', 'fleet_override_received')).toBe(1);
    expect(events(f, 'b', 'fleet_override_received')).toBe(0);

    await admin(f, 'c', '/servers/app/s1/enable');
    await everywhere(f, 's1', (s) => s.flags.length === 0, 's1 enabled');
    expect((await traffic(f, o, 10)).s1).toBeGreaterThan(0);

    await admin(f, 'a', '/servers/app/s2/weight', { weight: 7 });
    await everywhere(f, 's2', (s) => s.weight === 7, 's2 weight 7');
  }, 120_000);

  it('Redis killed under load: no request fails, and a drain made during the outage reaches the others when Redis is back', async () => {
    const o = await origins();
    const f = await fleet(o);
    let running = true;
    let failed = 0;
    let done = 0;
    const loops = f.nodes.map(async (n) => {
      while (running) {
        const r = await send(n.url).catch(() => undefined);
        if (r?.status === 200) done++;
        else failed++;
      }
    });
    try {
      await admin(f, 'c', '/servers/app/s2/weight', { weight: 4 });
      await everywhere(f, 's2', (s) => s.weight === 4, 's2 weight 4');
      await f.redis.stop();
      await waitFor(() => f.nodes.every((n) => events(f, n.name, 'fleet_redis_down') === 1), WAIT, 'every node to see Redis gone');
      await admin(f, 'a', '/servers/app/s1/drain');
      await new Promise((r) => setTimeout(r, 500));
      expect((await server(f, 'b', 's1')).flags).toEqual([]);
      await f.redis.restart();
      await everywhere(f, 's1', (s) => s.flags.includes('draining'), 's1 draining after Redis returned');
      // The restarted Redis is empty: the weight made before the outage is written back from the nodes' memory.
      await waitFor(() => f.nodes.every((n) => events(f, n.name, 'fleet_overrides_resynced') >= 2), WAIT, 'every node to resync');
      expect(await redisCli(f, 'HLEN', `${f.prefix}overrides`)).toBe('2');
    } finally {
      running = false;
      await Promise.all(loops);
    }
    expect(failed).toBe(0);
    expect(done).toBeGreaterThan(50);
    expect(await traffic(f, o, 10)).toEqual({ s1: 0, s2: 30 });
  }, 120_000);

  it('a config change that ends an override on one node ends it on every node, and in Redis for a node started later', async () => {
    const o = await origins();
    const f = await fleet(o);
    await admin(f, 'b', '/servers/app/s1/drain');
    await admin(f, 'b', '/servers/app/s2/weight', { weight: 9 });
    await everywhere(f, 's2', (s) => s.weight === 9, 's2 weight 9');
    await everywhere(f, 's1', (s) => s.flags.includes('draining'), 's1 draining');
    // A's file gives s1 a new URL (s2's, a replace) and s2 a new weight (an update): both overrides end there.
    const a = f.node('a').proc;
    const text = await readFile(a.file, 'utf8');
    await writeFile(a.file, text.replace(`{ url: "${o.urls[0]}", name: s1 }`, `{ url: "${o.urls[1]}", name: s1 }`).replace(`{ url: "${o.urls[1]}", name: s2 }`, `{ url: "${o.urls[1]}", name: s2, weight: 2 }`));
    await fetch(`${f.node('a').adminUrl}/reload`, { method: 'POST' });
    await everywhere(f, 's1', (s) => s.flags.length === 0, 's1 no longer drained');
    await everywhere(f, 's2', (s) => s.weight !== 9, 's2 back to its configured weight');
    expect((await server(f, 'b', 's2')).weight).toBe(1);
    expect((await server(f, 'a', 's2')).weight).toBe(2);
    // B started again reads the hash: nothing to apply.
    await f.kill('b');
    await f.restart('b');
    await waitFor(() => events(f, 'b', 'fleet_overrides_resynced') >= 1, WAIT, 'b to read the overrides');
    expect((await server(f, 'b', 's1')).flags).toEqual([]);
    expect((await server(f, 'b', 's2')).weight).toBe(1);
  }, 120_000);

  it('a malformed override in Redis is logged and skipped; the valid ones are applied', async () => {
    const o = await origins();
    const f = await fleet(o);
    const good = JSON.stringify({ upstream: 'app', server: 's2', field: 'weight', value: 3, at: Date.now(), node: 'z' });
    await redisHset(f, { x1: 'not json', x2: JSON.stringify({ upstream: 'app', server: 's1', field: 'weight', value: 5000, at: 1, node: 'z' }), x3: good });
    // A restart of B makes it read the hash (a node joining).
    await f.kill('b');
    await f.restart('b');
    await waitFor(() => events(f, 'b', 'fleet_overrides_resynced') >= 1, WAIT, 'b to read the overrides');
    expect((await server(f, 'b', 's2')).weight).toBe(3);
    expect((await server(f, 'b', 's1')).weight).toBe(1);
    const reasons = f.node('b').proc.logs().filter((l) => l['event'] === 'fleet_override_invalid').map((l) => l['reason']);
    expect(reasons).toEqual(expect.arrayContaining(['not JSON', 'a weight value must be an integer from 1 to 1000 or "config"']));
    expect((await send(f.node('b').url)).status).toBe(200);
  }, 120_000);
});

/** One command through redis-cli (the test's own client, not bulwark's); its trimmed output. */
function redisCli(f: TestFleet, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile('redis-cli', ['-p', String(f.redis.port), ...args], (err, out) => (err ? reject(err) : resolve(out.trim()))));
}

const redisHset = (f: TestFleet, fields: Record<string, string>): Promise<string> => redisCli(f, 'HSET', `${f.prefix}overrides`, ...Object.entries(fields).flat());
