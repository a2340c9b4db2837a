/**
 * @module test/integration/proxy-protocol-upstream.test
 * An upstream with proxy_protocol: v1 | v2: every upstream connection starts with a PROXY
 * header naming the client connection it serves, carries only that client's requests (two
 * clients never share one), and closes when its client connection closes. The origin here
 * parses the header itself with raw sockets, then serves HTTP on what follows.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseProxyHeader, type ProxySource } from '../../src/proxy/proxy-protocol.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { problems, yamlWith } from '../unit/config/fixtures.js';

interface Conn {
  readonly source: ProxySource | undefined;
  readonly paths: string[];
  closed: boolean;
}

describe('proxy_protocol on an upstream', () => {
  const h = useHarness();

  /** An origin that requires a PROXY header on each connection and records what came over it. */
  async function proxyOrigin(): Promise<{ url: string; conns: Conn[] }> {
    const conns: Conn[] = [];
    const app = http.createServer((req, res) => {
      (req.socket as net.Socket & { conn?: Conn }).conn?.paths.push(req.url ?? '');
      res.end('ok');
    });
    app.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      (socket as net.Socket & { conn?: Conn }).conn?.paths.push(`upgrade ${req.url ?? ''}`);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    const raw = await h.rawOrigin((socket) => {
      let buf = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        buf = Buffer.concat([buf, d]);
        const r = parseProxyHeader(buf);
        if (r.state === 'more') return;
        socket.off('data', onData);
        if (r.state === 'error') return void socket.destroy();
        const conn: Conn = { source: r.source, paths: [], closed: false };
        conns.push(conn);
        (socket as net.Socket & { conn?: Conn }).conn = conn;
        socket.on('close', () => (conn.closed = true));
        socket.pause();
        socket.unshift(buf.subarray(r.length));
        app.emit('connection', socket);
        socket.resume();
      };
      socket.on('data', onData);
    });
    return { url: raw.url, conns };
  }

  function config(origin: string, version: string, listener = '', upstream = ''): string {
    return [
      'listen:',
      `  - { address: 127.0.0.1:0, proxy_protocol: true${listener} }`,
      'admin: { listen: 127.0.0.1:0 }',
      'trusted_proxies: [127.0.0.1]',
      'upstreams:',
      '  web:',
      `    proxy_protocol: ${version}`,
      ...(upstream ? [upstream] : []),
      '    servers:',
      `      - { url: "${origin}" }`,
      'routes:',
      '  - upstream: web',
      '',
    ].join('\n');
  }

  it.each(['v1', 'v2'])('gives each client connection its own upstream connection, which sends its %s header first', async (version) => {
    const origin = await proxyOrigin();
    const bw = await h.bulwark(config(origin.url, version));
    const a = await h.raw(bw.port);
    const b = await h.raw(bw.port);
    a.write('PROXY TCP4 203.0.113.1 10.0.0.1 1111 80\r\nGET /a1 HTTP/1.1\r\nHost: t\r\n\r\n');
    await a.waitResponses(1);
    b.write('PROXY TCP4 203.0.113.2 10.0.0.1 2222 80\r\nGET /b1 HTTP/1.1\r\nHost: t\r\n\r\n');
    await b.waitResponses(1);
    a.write('GET /a2 HTTP/1.1\r\nHost: t\r\n\r\n');
    await a.waitResponses(2);
    b.write('GET /b2 HTTP/1.1\r\nHost: t\r\n\r\n');
    await b.waitResponses(2);
    expect(origin.conns.map((c) => [c.source, c.paths])).toEqual([
      [{ address: '203.0.113.1', port: 1111, family: 4 }, ['/a1', '/a2']],
      [{ address: '203.0.113.2', port: 2222, family: 4 }, ['/b1', '/b2']],
    ]);
    // The upstream connection goes with its client connection.
    a.destroy();
    await waitFor(() => origin.conns[0]!.closed, 10_000, "a's upstream connection to close");
    expect(origin.conns[1]!.closed).toBe(false);
  });

  it('gives an HTTP/2 connection one upstream connection for all its streams', async () => {
    const origin = await proxyOrigin();
    const bw = await h.bulwark(config(origin.url, 'v2', ', http2: true'));
    const socket = net.connect(bw.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('PROXY TCP4 203.0.113.9 10.0.0.1 9999 80\r\n');
    const session = http2.connect(`http://127.0.0.1:${bw.port}`, { createConnection: () => socket });
    h.defer(() => session.destroy());
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = session.request({ ':path': path });
        req.on('response', (head) => resolve(Number(head[':status'])));
        req.on('error', reject);
        req.resume();
        req.end();
      });
    expect(await Promise.all([get('/s1'), get('/s2')])).toEqual([200, 200]);
    expect(await get('/s3')).toBe(200);
    expect(origin.conns.map((c) => [c.source?.address, [...c.paths].sort()])).toEqual([['203.0.113.9', ['/s1', '/s2', '/s3']]]);
    session.destroy();
    await waitFor(() => origin.conns[0]!.closed, 10_000, 'the upstream connection to close with the session');
  });

  it('sends a LOCAL header on http health checks, and the client’s on a WebSocket tunnel', async () => {
    const origin = await proxyOrigin();
    const bw = await h.bulwark(config(origin.url, 'v2', '', '    health_check: { path: /health, interval: 200ms, timeout: 200ms }'));
    await waitFor(() => origin.conns.filter((c) => c.paths.includes('/health')).length >= 2, 10_000, 'two health checks');
    const checks = origin.conns.filter((c) => c.paths.includes('/health'));
    expect(checks.every((c) => c.source === undefined)).toBe(true); // LOCAL: the check's own addresses
    const server = bw.app.proxy.state.upstreams.get('web')!.servers.all[0]!;
    expect(server.hasFlag('failed_health_check')).toBe(false);
    const ws = await h.raw(bw.port);
    ws.write('PROXY TCP4 203.0.113.77 10.0.0.1 7777 80\r\nGET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect((await ws.waitResponses(1))[0]!.status).toBe(101);
    const tunnel = origin.conns.find((c) => c.paths.includes('upgrade /chat'));
    expect(tunnel?.source).toEqual({ address: '203.0.113.77', port: 7777, family: 4 });
  });

  it('is validated: v1 or v2, and http:// servers only', () => {
    const up = (proxy_protocol: unknown, url = 'http://127.0.0.1:3001') => yamlWith({ upstreams: { web: { proxy_protocol, servers: [{ url }] } } });
    expect(problems(up('v3'))).toEqual(['upstreams.web.proxy_protocol: must be one of: v1, v2 (did you mean "v1"?)']);
    expect(problems(up('v2', 'https://127.0.0.1:3001'))).toEqual(['upstreams.web.proxy_protocol: is for http:// servers only (https://127.0.0.1:3001 is https://)']);
    expect(problems(up('v1'))).toEqual([]);
  });
});
