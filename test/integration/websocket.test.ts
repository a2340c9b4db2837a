/**
 * WebSocket through bulwark: the upgrade is tunnelled to the chosen server, frames flow both
 * ways, the server counts an active request while the tunnel is open, and a refused upgrade
 * (no route, no server, connection refused) gets a real HTTP error.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startBulwark, simpleConfig, type TestBulwark } from '../helpers/bulwark.js';
import { waitFor } from '../helpers/net.js';
import { refusingPort } from '../helpers/origin.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function wsOrigin(name: string): Promise<{ url: string; seen: http.IncomingMessage[] }> {
  const server = http.createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  const seen: http.IncomingMessage[] = [];
  wss.on('connection', (ws, req) => {
    seen.push(req);
    ws.on('message', (data) => ws.send(`${name}:${String(data)}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function bulwark(yaml: string): Promise<TestBulwark> {
  const b = await startBulwark(yaml);
  cleanups.push(() => b.stop(200));
  return b;
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  cleanups.push(async () => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function next(ws: WebSocket): Promise<string> {
  return new Promise((r) => ws.once('message', (d) => r(String(d))));
}

describe('WebSocket upgrade', () => {
  it('tunnels frames both ways to round-robin servers, with forwarding headers', async () => {
    const a = await wsOrigin('a');
    const b = await wsOrigin('b');
    const p = await bulwark(simpleConfig([a.url, b.url], { top: 'trusted_proxies: [127.0.0.1]' }));
    const ws1 = await open(`ws://127.0.0.1:${p.port}/chat`, { 'x-forwarded-for': '10.9.8.7' });
    ws1.send('hi');
    expect(await next(ws1)).toBe('a:hi');
    const ws2 = await open(`ws://127.0.0.1:${p.port}/chat`);
    ws2.send('yo');
    expect(await next(ws2)).toBe('b:yo');
    ws1.send('again');
    expect(await next(ws1)).toBe('a:again');

    const req = a.seen[0]!;
    expect(req.url).toBe('/chat');
    expect(req.headers['x-forwarded-for']).toBe('10.9.8.7, 127.0.0.1');
    expect(req.headers['x-request-id']).toBeTruthy();
    const servers = p.app.proxy.state.upstreams.get('web')!.servers.all;
    expect(servers.map((s) => s.activeRequests)).toEqual([1, 1]);

    ws1.close();
    ws2.close();
    // Wait for the event (both tunnels logged as ended), not for a fixed time.
    await waitFor(() => p.logs.filter((l) => l.msg === 'access').length === 2, 10_000, 'both tunnels to end');
    expect(servers.map((s) => s.activeRequests)).toEqual([0, 0]);
    const access = p.logs.filter((l) => l.msg === 'access');
    expect(access.map((l) => l.status)).toEqual([101, 101]);
  });

  it('answers 404 with no route, 503 with no server, 502 when the server refuses', async () => {
    const dead = await refusingPort();
    const p = await bulwark(
      simpleConfig([`http://127.0.0.1:${dead}`]).replace('  - upstream: web', '  - match: { path_prefix: /ws }\n    upstream: web'),
    );
    await expect(open(`ws://127.0.0.1:${p.port}/other`)).rejects.toThrow(/404/);
    await expect(open(`ws://127.0.0.1:${p.port}/ws`)).rejects.toThrow(/502/);
    for (const s of p.app.proxy.state.upstreams.get('web')!.servers.all) s.setFlag('disabled', 'test', Date.now());
    await expect(open(`ws://127.0.0.1:${p.port}/ws`)).rejects.toThrow(/503/);
  });

  it('a graceful stop cuts open tunnels at the drain deadline', async () => {
    const a = await wsOrigin('a');
    const p = await startBulwark(simpleConfig([a.url]));
    const ws = await open(`ws://127.0.0.1:${p.port}/`);
    const closed = new Promise((r) => ws.once('close', r));
    expect(await p.stop(150)).toBe(false);
    await closed;
  });
});

/**
 * A tunnel is an attempt like any other for its upstream (proxy/tunnel.ts): it starts and
 * ends through the upstream's attempt hooks. Both failed before: the tunnel changed the
 * server's active count directly, so outlier detection never saw a failed upgrade and a
 * closing tunnel never let a queued request in.
 */
describe('WebSocket tunnels in the upstream accounting', () => {
  it('a failed upgrade counts towards outlier detection', async () => {
    const a = await wsOrigin('a');
    const dead = await refusingPort();
    const p = await bulwark(
      simpleConfig([`http://127.0.0.1:${dead}`, a.url], {
        upstream: '    outlier_detection: { consecutive_gateway_failures: 2, base_ejection_time: 30s, jitter: 0% }',
      }),
    );
    const deadServer = p.app.proxy.state.upstreams.get('web')!.servers.all[0]!;
    let refused = 0;
    // Round-robin: every other upgrade goes to the dead server until it is ejected.
    for (let i = 0; i < 8 && !deadServer.hasFlag('ejected'); i++) {
      const ws = await open(`ws://127.0.0.1:${p.port}/`).catch(() => undefined);
      if (ws === undefined) refused++;
      else ws.close();
    }
    expect(deadServer.flags.get('ejected')?.reason).toMatch(/^2 consecutive gateway failures \(last: ECONNREFUSED\)/);
    expect(refused).toBe(2);
  });

  it('a closing tunnel lets a queued request in', async () => {
    const a = await wsOrigin('a');
    const p = await bulwark(
      simpleConfig([a.url], { upstream: '    circuit_breaker: { max_concurrent: 1, max_pending: 4, pending_timeout: 60s }' }),
    );
    const ws = await open(`ws://127.0.0.1:${p.port}/`);
    const u = p.app.proxy.state.upstreams.get('web')!;
    expect(u.servers.all[0]!.activeRequests).toBe(1);
    // The tunnel holds the only slot: a plain request waits in the queue...
    const reply = fetch(`http://127.0.0.1:${p.port}/plain`).then(async (r) => ({ status: r.status, body: await r.text() }));
    await waitFor(() => u.pending!.length === 1, 10_000, 'the request to be queued');
    // ...until the tunnel closes, well inside its 60 s pending_timeout.
    ws.close();
    expect(await reply).toEqual({ status: 200, body: 'plain' });
  });
});

