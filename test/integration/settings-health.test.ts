/**
 * @module test/integration/settings-health.test
 * The health_check keys and hash_key through the whole App, as an origin sees them, so a
 * build that dropped one between the config and the checker (using its default instead)
 * fails here: path, method and host of the probe; expect_status and expect_body deciding
 * health; type tcp; fall and rise counts (1, where the default is 3 and 2); interval and
 * fast_interval pacing (bounds far below the 2 s and 500 ms defaults would need); and
 * consistent-hash on a request header. The checker's own logic has unit tests.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { simpleConfig } from '../helpers/bulwark.js';
import { useHarness } from '../helpers/harness.js';
import { send, waitFor } from '../helpers/net.js';

/** One upstream over `urls` with `check` as its health_check (flow YAML). */
function checked(urls: string[], check: string, extra = ''): string {
  // A short interval needs a timeout and fast_interval no longer than it (as the rules say).
  const interval = /(?:^|, )interval: (\d+ms)/.exec(check)?.[1];
  const short = interval === undefined ? {} : { timeout: interval, fast_interval: '50ms' };
  const add = Object.entries(short).filter(([k]) => !check.includes(`${k}:`));
  return simpleConfig(urls, { upstream: `    health_check: { ${[check, ...add.map(([k, v]) => `${k}: ${v}`)].join(', ')} }\n${extra}` });
}

describe('health_check settings, as the origin sees them', () => {
  const h = useHarness();

  it('path, method and host make up the probe', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    await h.bulwark(checked([origin.url], 'path: "/hc?deep=1", method: HEAD, host: "probe.test:81", interval: 200ms'));
    await waitFor(() => origin.requests.length >= 1, 3000, 'a health check');
    expect(origin.requests[0]).toMatchObject({ url: '/hc?deep=1', method: 'HEAD', headers: expect.objectContaining({ host: 'probe.test:81' }) });
  });

  it.each([
    ['expect_status: 200 fails a 204', 'expect_status: 200', (_b: string) => 204, 'HTTP 204 (expected 200-200)'],
    ['expect_body fails a body without the text', 'expect_body: healthy', (_b: string) => 200, 'healthy'],
  ])('%s (fall: 1 marks it down at the first failure)', async (_what, key, status, detail) => {
    const origin = await h.origin((_req, res) => res.writeHead(status(''), { 'content-type': 'text/plain' }).end('ok'));
    const bw = await h.bulwark(checked([origin.url], `${key}, fall: 1, interval: 200ms`));
    const server = bw.app.proxy.state.upstreams.get('web')!.servers.all[0]!;
    await waitFor(() => server.hasFlag('failed_health_check'), 3000, 'the server to be marked down');
    expect(origin.requests).toHaveLength(1); // one failed check was enough
    expect(server.flags.get('failed_health_check')!.reason).toContain(detail);
  });

  it('expect_status 204 and expect_body keep a server that answers so up', async () => {
    const origin = await h.origin((_req, res) => res.writeHead(200).end('all healthy here'));
    const bw = await h.bulwark(checked([origin.url], 'expect_status: "200-204", expect_body: healthy, fall: 1, interval: 300ms'));
    await waitFor(() => origin.requests.length >= 4, 3000, 'four health checks');
    expect(bw.app.proxy.state.upstreams.get('web')!.servers.all[0]!.available).toBe(true);
  });

  it('type: tcp only connects: a server that never speaks HTTP stays up', async () => {
    const conns: Socket[] = [];
    const raw = await h.rawOrigin((s) => void conns.push(s)); // accepts, says nothing
    const bw = await h.bulwark(checked([raw.url], 'type: tcp, interval: 300ms, fall: 1'));
    await waitFor(() => conns.length >= 3, 3000, 'three tcp checks');
    expect(bw.app.proxy.state.upstreams.get('web')!.servers.all[0]!.available).toBe(true);
  });

  it('rise: 1 brings a server back at the first passing check', async () => {
    let healthy = false;
    const origin = await h.origin((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    const bw = await h.bulwark(checked([origin.url], 'fall: 1, rise: 1, interval: 200ms, fast_interval: 50ms'));
    const server = bw.app.proxy.state.upstreams.get('web')!.servers.all[0]!;
    await waitFor(() => server.hasFlag('failed_health_check'), 3000, 'the server to be marked down');
    healthy = true;
    const before = origin.requests.length;
    await waitFor(() => server.available, 3000, 'the server to come back');
    expect(origin.requests.length - before).toBe(1);
    expect(bw.logs.find((l) => l['event'] === 'server_flag_cleared')?.['reason']).toBe('1 consecutive checks passed: HTTP 200');
  });

  it('interval: 100ms checks a healthy server about ten times a second (the default: every 2 s)', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    await h.bulwark(checked([origin.url], 'interval: 100ms, timeout: 100ms, jitter: 0%'));
    await waitFor(() => origin.requests.length >= 5, 1900, 'five health checks within 1.9 s');
  });

  it('fast_interval: 100ms paces the checks of a failing server (interval 10s; the default: 500 ms)', async () => {
    const origin = await h.origin((_req, res) => res.writeHead(503).end());
    const bw = await h.bulwark(checked([origin.url], 'interval: 10s, fast_interval: 100ms, fall: 5, jitter: 0%'));
    const server = bw.app.proxy.state.upstreams.get('web')!.servers.all[0]!;
    // 5 checks: one at once, then 4 fast ones (400 ms); at 500 ms apart they'd need 2 s.
    await waitFor(() => server.hasFlag('failed_health_check'), 1900, 'five failed checks within 1.9 s');
    expect(origin.requests).toHaveLength(5);
  });
});

describe('hash_key', () => {
  const h = useHarness();

  it('header:x-user: each user sticks to one server, and users spread over several', async () => {
    const origins = await h.namedOrigins(['a', 'b', 'c']);
    const bw = await h.bulwark(simpleConfig(origins.map((o) => o.url), { scheduler: 'consistent-hash', upstream: '    hash_key: header:x-user' }));
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 2; round++) {
      for (let u = 0; u < 30; u++) {
        const r = await send(bw.url, { headers: { 'x-user': `user-${u}` } });
        const set = seen.get(`user-${u}`) ?? new Set();
        seen.set(`user-${u}`, set.add(r.text));
      }
    }
    expect([...seen.values()].every((s) => s.size === 1)).toBe(true);
    // All from 127.0.0.1: hashing the client address (the default) would send all to one.
    expect(new Set([...seen.values()].map((s) => [...s][0])).size).toBeGreaterThanOrEqual(2);
  });
});
