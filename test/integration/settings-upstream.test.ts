/**
 * @module test/integration/settings-upstream.test
 * Each upstream pool setting changes what an origin sees, so a build that ignored it
 * (kept undici's default) fails here: `connections` caps the connections the origin
 * accepts under concurrent load; `keep_alive` closes an idle upstream connection, seen
 * from the origin, also when the origin's `Keep-Alive: timeout=` hint is longer;
 * `timeouts.connect` answers 504 for a server that never completes the handshake;
 * `timeouts.idle` cuts a response body that stalls. Every bound below sits under the
 * setting's default (connections 128, keep_alive 4s, connect 2s, idle 60s), so it tells
 * the setting from the default, and well above the configured value, so load can't trip it.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { blackholePort } from '../helpers/blackhole.js';
import { simpleConfig } from '../helpers/bulwark.js';
import { accessLines, useHarness, waitAccess } from '../helpers/harness.js';
import { send, waitFor, withTimeout } from '../helpers/net.js';

describe('upstream pool settings, as the origin sees them', () => {
  const h = useHarness();

  it('connections: 2 caps the connections the origin accepts while 6 requests run at once', async () => {
    let held: http.ServerResponse[] | undefined = [];
    let running = 0;
    let mostRunning = 0;
    const origin = await h.origin((_req, res) => {
      mostRunning = Math.max(mostRunning, ++running);
      res.on('finish', () => running--);
      if (held === undefined) res.end('ok');
      else held.push(res);
    });
    const accepted = new Set<Socket>();
    origin.server.on('connection', (s: Socket) => accepted.add(s));
    const bw = await h.bulwark(simpleConfig([origin.url], { upstream: '    connections: 2' }));
    const upstream = bw.app.proxy.state.upstreams.get('web')!;
    const pool = upstream.pool(upstream.servers.all[0]!);

    const replies = Promise.all(Array.from({ length: 6 }, () => send(bw.url)));
    // Every request is in the pool (2 at the origin, 4 queued), or the origin got more than 2.
    await waitFor(() => (held!.length === 2 && pool.stats.size === 6) || origin.requests.length > 2, 5000, 'the requests to reach the pool');
    const release = held!;
    held = undefined;
    release.forEach((res) => res.end('ok'));
    expect((await replies).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(origin.requests).toHaveLength(6);
    expect(accepted.size).toBe(2);
    expect(mostRunning).toBe(2);
  });

  it.each([
    ['sends no Keep-Alive hint', 0],
    ['hints a longer Keep-Alive timeout (60 s)', 60_000],
  ])('keep_alive: 300ms closes the idle upstream connection when the origin %s', async (_what, keepAliveTimeout) => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    // keepAliveTimeout 0: Node neither sends the hint nor closes idle connections itself.
    origin.server.keepAliveTimeout = keepAliveTimeout;
    const closed: Array<Promise<void>> = [];
    origin.server.on('connection', (s: Socket) => closed.push(new Promise((r) => s.once('close', () => r()))));
    const bw = await h.bulwark(simpleConfig([origin.url], { upstream: '    keep_alive: 300ms' }));
    const r = await send(bw.url);
    expect(r.status).toBe(200);
    expect(closed).toHaveLength(1);
    // Closed by bulwark (the origin never closes it): within 3 s, under the 4 s default.
    await withTimeout(closed[0]!, 3000, 'bulwark to close the idle upstream connection');
    expect((await send(bw.url)).status).toBe(200); // and a new one serves the next request
    expect(closed).toHaveLength(2);
  });

  it('timeouts.connect: 300ms answers 504 for a server that never completes the handshake', async () => {
    const port = await blackholePort(h);
    const bw = await h.bulwark(simpleConfig([`http://127.0.0.1:${port}`], { upstream: '    timeouts: { connect: 300ms, response: 10s }' }));
    const t = Date.now();
    const r = await send(bw.url);
    const ms = Date.now() - t;
    expect(r.status).toBe(504);
    const [line] = await waitAccess(bw, 1);
    expect(line!['status']).toBe(504);
    expect(JSON.stringify(line)).toMatch(/UND_ERR_CONNECT_TIMEOUT/);
    expect(ms).toBeGreaterThanOrEqual(290);
    // undici runs the connect timeout on its coarse timers (a ~0.5 s tick), so it fires after
    // about 1 s; the 2 s default fires after 2 s at the earliest, so this bound tells them apart.
    expect(ms).toBeLessThan(1900);
  });

  it('timeouts.idle: 300ms cuts a response body that stalls after its first bytes', async () => {
    const origin = await h.origin((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('0123456789'); // and never the rest
    });
    const bw = await h.bulwark(simpleConfig([origin.url], { upstream: '    timeouts: { idle: 300ms }' }));
    const res = await h.client(bw.url).request({ path: '/', method: 'GET' });
    expect(res.statusCode).toBe(200);
    // Cut within 10 s (the default would wait 60 s); the client sees the truncation.
    await expect(withTimeout(res.body.text(), 10_000, 'the stalled body to be cut')).rejects.toThrow(/other side closed|terminated|socket|aborted/i);
    await waitFor(() => accessLines(bw).length === 1, 5000, 'the access line');
    expect(JSON.stringify(accessLines(bw)[0])).toMatch(/UND_ERR_BODY_TIMEOUT/);
  });
});
