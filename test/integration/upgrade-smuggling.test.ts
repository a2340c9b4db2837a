/**
 * Issue 12 item 1: a refused upgrade must not become a tunnel. Only `/public/` is routed;
 * the origin serves `/internal` to anyone who reaches it. Every test looks at what the
 * origin actually received, byte for byte where it matters (raw sockets both sides).
 */
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { routedConfig, useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';

const h = useHarness();

const WS_HEAD = (path = '/public/ws', extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: app.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

/** A keep-alive HTTP origin that refuses upgrades with `status` and serves every other path. */
async function refusingOrigin(status: number) {
  return h.origin((req, res) => {
    if (req.headers.upgrade !== undefined) {
      res.writeHead(status, { 'content-type': 'text/plain', upgrade: 'websocket', connection: 'Upgrade' });
      res.end(`refused with ${status}`);
    } else res.end(`origin served ${req.url}`);
  });
}

/** A raw origin: records every byte per connection and answers through `onHead`. */
async function rawWsOrigin(onHead: (s: net.Socket, head: string) => void) {
  const conns: string[] = [];
  const origin = await h.rawOrigin((s) => {
    const i = conns.push('') - 1;
    let headDone = false;
    s.on('data', (d: Buffer) => {
      conns[i] += d.toString('latin1');
      const at = conns[i]!.indexOf('\r\n\r\n');
      if (!headDone && at !== -1) {
        headDone = true;
        onHead(s, conns[i]!.slice(0, at + 4));
      } else if (headDone) s.write(`ECHO:${d.toString('latin1')}`);
    });
  });
  return { ...origin, conns };
}

async function publicOnly(url: string) {
  return h.bulwark(routedConfig({ web: [url] }, [{ path_prefix: '/public/', upstream: 'web' }]));
}

describe('refused upgrades never become tunnels', () => {
  for (const status of [426, 403, 200]) {
    it(`an origin's ${status} to an upgrade goes back as a plain response; a following GET /internal never reaches the origin`, async () => {
      const origin = await refusingOrigin(status);
      const bw = await publicOnly(origin.url);
      const direct = await (await h.raw(bw.port)).request('GET /internal HTTP/1.1\r\nHost: app.test\r\n\r\n');
      expect(direct.status).toBe(404);

      const c = await h.raw(bw.port);
      c.write(WS_HEAD());
      const [refusal] = await c.waitResponses(1);
      expect(refusal!.status).toBe(status);
      expect(refusal!.body).toBe(`refused with ${status}`);
      expect(refusal!.headers['connection']).toBe('close');
      // The attacker's follow-up on the same connection: closed, or routed like any request.
      c.write('GET /internal HTTP/1.1\r\nHost: app.test\r\n\r\n');
      await c.closed;
      for (const r of c.responses().slice(1)) expect(r.status).toBe(404);
      expect(c.data).not.toContain('origin served /internal');
      expect(origin.requests.map((r) => r.url)).toEqual(['/public/ws']);
    });
  }

  it('bytes sent right behind the upgrade request, before the answer, never reach a refusing origin', async () => {
    // Raw: the origin's record shows every byte that reached it, parsed or not.
    const origin = await rawWsOrigin((s) => s.write('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 2\r\n\r\nno'));
    const bw = await publicOnly(origin.url);
    const c = await h.raw(bw.port);
    c.write(WS_HEAD() + 'GET /internal HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const [refusal] = await c.waitResponses(1);
    expect(refusal!.status).toBe(426);
    await c.closed;
    expect(origin.conns).toHaveLength(1);
    expect(origin.conns[0]).toContain('GET /public/ws HTTP/1.1');
    expect(origin.conns[0]).not.toContain('/internal');
  });

  const bad101: Array<[string, string]> = [
    ['for another protocol than the one asked for', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n'],
    ['with no Upgrade field', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ];
  for (const [what, answer] of bad101) {
    it(`a 101 ${what} is a 502, not a tunnel`, async () => {
      const origin = await rawWsOrigin((s) => s.write(answer));
      const bw = await publicOnly(origin.url);
      const c = await h.raw(bw.port);
      c.write(WS_HEAD() + 'EARLY');
      const [r] = await c.waitResponses(1);
      expect(r!.status).toBe(502);
      await c.closed;
      expect(origin.conns.join('')).not.toContain('EARLY');
    });
  }

  it('a confirmed 101: client and origin bytes sent in the same write as the handshake both arrive, in order', async () => {
    const origin = await rawWsOrigin((s) =>
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nFROM-ORIGIN'),
    );
    const bw = await publicOnly(origin.url);
    const c = await h.raw(bw.port);
    c.write(WS_HEAD() + 'EARLY-FROM-CLIENT');
    await waitFor(() => c.data.includes('ECHO:EARLY-FROM-CLIENT'), 5000, 'the early client bytes echoed');
    expect(c.data.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    const body = c.data.slice(c.data.indexOf('\r\n\r\n') + 4);
    expect(body).toBe('FROM-ORIGINECHO:EARLY-FROM-CLIENT');
    // The origin got exactly one head, then the early bytes, on one connection.
    expect(origin.conns).toHaveLength(1);
    expect(origin.conns[0]!.split('GET ')).toHaveLength(2);
    expect(origin.conns[0]!.endsWith('\r\n\r\nEARLY-FROM-CLIENT')).toBe(true);
    c.write('LATER');
    await waitFor(() => c.data.endsWith('ECHO:LATER'), 5000, 'later bytes echoed');
  });

  it('the upstream connection of a refused upgrade is closed, never reused for other requests', async () => {
    const origin = await refusingOrigin(426);
    const bw = await publicOnly(origin.url);
    const c = await h.raw(bw.port);
    c.write(WS_HEAD());
    await c.waitResponses(1);
    await c.closed;
    await (await h.raw(bw.port)).request('GET /public/next HTTP/1.1\r\nHost: app.test\r\n\r\n');
    expect(origin.requests.map((r) => r.url)).toEqual(['/public/ws', '/public/next']);
    expect(origin.requests[0]!.socket).not.toBe(origin.requests[1]!.socket);
    await waitFor(() => origin.requests[0]!.socket.destroyed, 3000, 'the upgrade connection to close');
  });

  it('an Upgrade other than websocket (h2c) is ignored: served as a plain request without Upgrade, then the connection closes', async () => {
    const origin = await refusingOrigin(426);
    const bw = await publicOnly(origin.url);
    const c = await h.raw(bw.port);
    c.write('GET /public/page HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    const [r] = await c.waitResponses(1);
    expect(r!.status).toBe(200);
    expect(r!.body).toBe('origin served /public/page');
    await c.closed;
    expect(origin.requests).toHaveLength(1);
    expect(origin.requests[0]!.headers.upgrade).toBeUndefined();
    expect(origin.requests[0]!.headers['http2-settings']).toBeUndefined();
  });

  for (const upgrade of ['websocket', 'h2c']) {
    it(`an ${upgrade} upgrade with a body is a 400 and closes; nothing reaches the origin`, async () => {
      const origin = await refusingOrigin(426);
      const bw = await publicOnly(origin.url);
      const smuggled = 'GET /internal HTTP/1.1\r\nHost: app.test\r\n\r\n';
      const c = await h.raw(bw.port);
      c.write(`GET /public/ws HTTP/1.1\r\nHost: app.test\r\nUpgrade: ${upgrade}\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`);
      await c.closed;
      expect(c.responses().map((r) => r.status)).toEqual([400]);
      expect(origin.requests).toHaveLength(0);
    });
  }

  it('an upgrade behind a pipelined request waits for that response: nothing interleaves', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const origin = await h.origin((req, res) => {
      if (req.url === '/public/slow') void gate.then(() => res.end('slow done'));
      else if (req.headers.upgrade !== undefined) res.writeHead(426).end('no');
      else res.end('x');
    });
    const bw = await publicOnly(origin.url);
    const c = await h.raw(bw.port);
    c.write('GET /public/slow HTTP/1.1\r\nHost: app.test\r\n\r\n' + WS_HEAD());
    await waitFor(() => origin.requests.length >= 1, 3000, 'the slow request at the origin');
    release();
    const rs = await c.waitResponses(2);
    expect(rs.map((r) => [r.status, r.body])).toEqual([
      [200, 'slow done'],
      [426, 'no'],
    ]);
  });
});
