/**
 * Issue 12 items 4, 5, 6, 10, 11, 13: framing and protocol edge cases, sent as raw bytes;
 * the origin's record shows what reached it.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { echoHandler, useHarness, waitAccess } from '../helpers/harness.js';
import { parseResponses, waitFor } from '../helpers/net.js';

const h = useHarness();

describe('transfer codings', () => {
  it('answers 501 to a transfer coding bulwark does not implement (gzip, chunked) and closes', async () => {
    const { origin, bw } = await h.proxied(echoHandler);
    for (const te of ['gzip, chunked', 'chunked, chunked', 'identity, chunked', 'x-custom, chunked']) {
      const c = await h.raw(bw.port);
      c.write(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
      await c.closed;
      const rs = c.responses();
      // Node's own parser refuses some outright (400); none may be forwarded.
      expect(rs.map((r) => r.status), te).toEqual(te === 'chunked, chunked' ? [400] : [501]);
      expect(rs[0]!.headers['connection']).toBe('close');
    }
    expect(origin.requests).toHaveLength(0);
  });

  it('plain chunked still works', async () => {
    const { bw } = await h.proxied(echoHandler);
    const r = await (await h.raw(bw.port)).request('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ length: 3 });
  });

  it('treats Transfer-Encoding on an HTTP/1.0 request as faulty framing: one 400, the connection closed, nothing pipelined behind it served', async () => {
    const { origin, bw } = await h.proxied(echoHandler);
    const c = await h.raw(bw.port);
    c.write('POST / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /second HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n');
    await c.closed;
    expect(c.responses().map((r) => r.status)).toEqual([400]);
    expect(origin.requests).toHaveLength(0);
  });
});

describe('versions and methods', () => {
  for (const version of ['HTTP/2.0', 'HTTP/3.0', 'HTTP/0.9']) {
    it(`answers 505 to "GET / ${version}" and closes`, async () => {
      const { origin, bw } = await h.proxied(echoHandler);
      const c = await h.raw(bw.port);
      c.write(`GET / ${version}\r\nHost: a\r\n\r\n`);
      await c.closed;
      const rs = c.responses();
      // Node's parser refuses HTTP/3.0 outright (400); what it lets through gets 505.
      expect(rs.map((r) => r.status)).toEqual([version === 'HTTP/3.0' ? 400 : 505]);
      expect(origin.requests).toHaveLength(0);
    });
  }

  it('answers TRACE with 405 and Allow (cross-site tracing), and closes', async () => {
    const { origin, bw } = await h.proxied(echoHandler);
    const c = await h.raw(bw.port);
    c.write('TRACE / HTTP/1.1\r\nHost: a\r\nCookie: session=secret\r\n\r\n');
    await c.closed;
    const rs = c.responses();
    expect(rs.map((r) => r.status)).toEqual([405]);
    expect(rs[0]!.headers['allow']).toBe('GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS');
    expect(c.data).not.toContain('secret');
    expect(origin.requests).toHaveLength(0);
  });

  it('answers CONNECT with 405 and Allow, and closes', async () => {
    const { origin, bw } = await h.proxied(echoHandler);
    const c = await h.raw(bw.port);
    c.write('CONNECT internal.test:22 HTTP/1.1\r\nHost: internal.test:22\r\n\r\nSSH-2.0-x\r\n');
    await c.closed;
    const rs = c.responses();
    expect(rs.map((r) => r.status)).toEqual([405]);
    expect(rs[0]!.headers['allow']).toMatch(/GET/);
    expect(rs[0]!.headers['allow']).not.toMatch(/CONNECT/);
    expect(origin.requests).toHaveLength(0);
    const [line] = await waitAccess(bw, 1);
    expect(line).toMatchObject({ method: 'CONNECT', status: 405 });
  });
});

describe('responses without a body', () => {
  const variants: Array<[string, string, string]> = [
    ['Content-Length: 0, stray bytes in the same write', 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\nSTRAY BODY BYTES', ''],
    ['a Content-Length and a body', 'HTTP/1.1 204 No Content\r\nContent-Length: 16\r\n\r\nSTRAY BODY BYTES', ''],
    ['chunked and a body', 'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nSTRAY\r\n0\r\n\r\n', ''],
    ['no framing, stray bytes a moment later', 'HTTP/1.1 204 No Content\r\n\r\n', 'STRAY BODY BYTES'],
  ];
  for (const [what, head, later] of variants) {
    it(`a 204 whose server sends a body anyway (${what}) reaches the client as a 204; the stray bytes are dropped and that connection not reused`, async () => {
      let conns = 0;
      const origin = await h.rawOrigin((s) => {
        conns++;
        s.on('data', (d: Buffer) => {
          if (!d.toString('latin1').startsWith('GET /nocontent')) return void s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
          s.write(head);
          if (later) setTimeout(() => s.write(later), 20);
        });
      });
      const bw = await h.bulwark(`listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nupstreams:\n  web:\n    connections: 1\n    servers:\n      - { url: "${origin.url}" }\nroutes:\n  - upstream: web\n`);
      const c = await h.raw(bw.port);
      const r = await c.request('GET /nocontent HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(r.status).toBe(204);
      await new Promise((res) => setTimeout(res, 100));
      expect(c.data).not.toContain('STRAY');
      expect(c.isClosed).toBe(false);
      c.write('GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
      const rs = await c.waitResponses(2);
      expect(rs.map((x) => [x.status, x.body])).toEqual([
        [204, ''],
        [200, 'ok'],
      ]);
      expect(conns).toBe(2);
    });
  }
});

describe('half-closed clients', () => {
  it('answers a client that half-closes right after its request, as nc does', async () => {
    const { bw } = await h.proxied((_req, res) => setTimeout(() => res.end('late answer'), 50));
    const s = net.connect({ port: bw.port, host: '127.0.0.1', allowHalfOpen: true });
    h.defer(() => s.destroy());
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (data += d));
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.end('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise<void>((r) => s.once('end', () => r()));
    const rs = parseResponses(data, true);
    expect(rs.map((r) => [r.status, r.body])).toEqual([[200, 'late answer']]);
    const [line] = await waitAccess(bw, 1);
    expect(line).toMatchObject({ status: 200 });
    await waitFor(() => bw.app.proxy.inFlight === 0, 3000, 'no request in flight');
  });
});
