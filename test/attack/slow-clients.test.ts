/**
 * Issue 12 item 2: slow clients must not starve everyone. Debian's slowhttptest opens 200
 * connections in slow-read mode (-X: tiny receive windows, 32 bytes read every 5 s),
 * without and with pipelining (-k 1, -k 3), against an origin serving 2 MiB bodies, while
 * the test probes bulwark with ordinary requests. The upstream pool has only 16
 * connections, so without response buffering the attackers hold all of them.
 *
 * Probing starts once the origin has sent the attackers their bodies: the first second,
 * when 200 × k × 2 MiB cross bulwark on a 2-core machine shared with the attacker, the
 * origin and the rest of the suite, is CPU contention, not starvation. From then on the
 * attackers stay connected, reading slowly, for the whole probe window.
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { activeRequests, useHarness } from '../helpers/harness.js';
import { simpleConfig } from '../helpers/bulwark.js';
import { waitFor } from '../helpers/net.js';

const h = useHarness();
const BODY = Buffer.alloc(2 * 1024 * 1024, 'x');

/** One ordinary request (a GET, or a small POST); true when answered 200 within 1 s. */
function probe(port: number, post = false): Promise<boolean> {
  return new Promise((resolve) => {
    const start = Date.now();
    const headers = post ? { 'content-length': 5 } : {};
    const req = http.request({ host: '127.0.0.1', port, path: '/probe', method: post ? 'POST' : 'GET', headers, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 && Date.now() - start <= 1000));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end(post ? 'hello' : undefined);
  });
}

/** Probes for `ms`; returns [answered within 1 s, sent]. */
async function probeFor(port: number, ms: number, post = false): Promise<[number, number]> {
  let ok = 0;
  let total = 0;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    total++;
    if (await probe(port, post)) ok++;
    await new Promise((r) => setTimeout(r, 25));
  }
  return [ok, total];
}

describe('slow readers (slowhttptest -X)', () => {
  it('slowhttptest is installed (.ci/run installs it)', () => {
    expect(spawnSync('slowhttptest', ['-h']).error).toBeUndefined();
  });

  for (const k of [1, 3]) {
    it(`200 slow-read connections with -k ${k}: probes succeed, then every exchange and pool connection is released`, { timeout: 90_000 }, async () => {
      let sent = 0;
      const origin = await h.origin((req, res) => {
        if (req.url !== '/big') return void res.end('ok');
        res.writeHead(200, { 'content-length': BODY.length, 'content-type': 'application/octet-stream' });
        res.end(BODY, () => sent++);
      });
      // The access log is on: every exchange's line must be there, and none may carry an
      // assertion failure (the probe saw ERR_ASSERTION in its lines before).
      const bw = await h.bulwark(simpleConfig([origin.url], { upstream: '    connections: 16', top: 'log: { level: warn, access: true }' }).replace('log: { level: info, access: true }\n', ''));
      const rssBefore = process.memoryUsage.rss();
      const attack = spawn('slowhttptest', ['-X', '-c', '200', '-r', '200', '-k', String(k), '-l', '60', '-w', '512', '-y', '1024', '-n', '5', '-z', '32', '-p', '3', '-u', `http://127.0.0.1:${bw.port}/big`], { stdio: 'ignore' });
      const exited = new Promise<void>((r) => attack.once('exit', () => r()));
      h.defer(async () => {
        attack.kill('SIGKILL');
        await exited;
      });
      let rssPeak = rssBefore;
      const sample = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 50);
      h.defer(() => clearInterval(sample));

      await waitFor(() => sent >= 190 * k, 30_000, `the origin to send ${190 * k} attack bodies (sent ${sent})`);
      const [ok, total] = await probeFor(bw.port, 5000);
      // The attack is still on: its connections are open, reading 32 bytes every 5 s.
      expect(attack.exitCode).toBeNull();
      expect(ok / total, `${ok} of ${total} probes answered within 1 s`).toBeGreaterThanOrEqual(0.95);
      // 200 × k × 2 MiB went out; only each client's small memory buffer stays in memory.
      expect(rssPeak - rssBefore).toBeLessThan(256 * 1024 * 1024);

      attack.kill('SIGKILL');
      await exited;
      const web = bw.app.proxy.state.upstreams.get('web')!;
      const pool = web.pool(web.servers.all[0]!);
      await waitFor(() => activeRequests(bw) === 0 && bw.app.proxy.inFlight === 0, 15_000, 'every exchange released');
      await waitFor(() => pool.stats.running === 0 && pool.stats.pending === 0, 15_000, 'the pool idle');
      const status = (await (await fetch(`${bw.adminUrl}/status`)).json()) as { upstreams: Array<{ servers: Array<{ active_requests: number }> }> };
      expect(status.upstreams[0]!.servers.map((s) => s.active_requests)).toEqual([0]);
      const lines = bw.logs.filter((l) => l['msg'] === 'access');
      expect(lines.filter((l) => l['path'] === '/big').length).toBeGreaterThanOrEqual(190 * k);
      expect(bw.logs.filter((l) => /ERR_ASSERTION|AssertionError/.test(JSON.stringify(l)))).toEqual([]);
    });
  }

  it('200 slow-upload connections (slowhttptest -B): probes succeed, no server connection is held, and all is released after', { timeout: 90_000 }, async () => {
    const origin = await h.origin((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const bw = await h.bulwark(simpleConfig([origin.url], { upstream: '    connections: 16', top: 'log: { level: warn, access: false }' }).replace('log: { level: info, access: true }\n', ''));
    // 8 KiB announced, a few random bytes every 2 s: each upload would take minutes.
    const attack = spawn('slowhttptest', ['-B', '-c', '200', '-r', '200', '-i', '2', '-s', '8192', '-l', '60', '-p', '3', '-u', `http://127.0.0.1:${bw.port}/upload`], { stdio: 'ignore' });
    const exited = new Promise<void>((r) => attack.once('exit', () => r()));
    h.defer(async () => {
      attack.kill('SIGKILL');
      await exited;
    });
    await waitFor(() => bw.app.proxy.inFlight >= 190, 30_000, 'the attack connections to send their heads');
    const [ok, total] = await probeFor(bw.port, 5000, true);
    expect(attack.exitCode).toBeNull();
    expect(ok / total, `${ok} of ${total} probes answered within 1 s`).toBeGreaterThanOrEqual(0.95);
    // The uploads are read by bulwark, not forwarded: with ~200 of them in flight, no server
    // request is (slowhttptest's own few probe uploads are complete, and are answered).
    // A probe (ours or slowhttptest's) may be mid-exchange at any instant, so wait for a quiet
    // moment rather than sampling once: ~200 held uploads would never let the count reach 0.
    await waitFor(() => activeRequests(bw) === 0, 10_000, 'no server request held by the slow uploads');
    expect(bw.app.proxy.inFlight).toBeGreaterThanOrEqual(190);
    expect(origin.requests.filter((r) => r.url === '/upload').length).toBeLessThan(10);
    attack.kill('SIGKILL');
    await exited;
    await waitFor(() => bw.app.proxy.inFlight === 0, 15_000, 'every exchange released');
  });
});
