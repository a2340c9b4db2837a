/**
 * Issue 12 item 2: slow readers must not starve everyone. Debian's slowhttptest opens 200
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

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const start = Date.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/probe', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 && Date.now() - start <= 1000));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
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
      const bw = await h.bulwark(simpleConfig([origin.url], { upstream: '    connections: 16', top: 'log: { level: warn, access: false }' }).replace('log: { level: info, access: true }\n', ''));
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
      let ok = 0;
      let total = 0;
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        total++;
        if (await probe(bw.port)) ok++;
        await new Promise((r) => setTimeout(r, 25));
      }
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
    });
  }
});
