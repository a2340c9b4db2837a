/**
 * @module test/integration/proxy-protocol.test
 * A listener with proxy_protocol: true, driven by raw `net` writes, checking what the origin
 * received: the PROXY source becomes the client (X-Forwarded-For, the access log, rate_limit's
 * ip key); a header split across segments, or with requests pipelined right behind it, is
 * read whole; LOCAL keeps the peer; an untrusted peer, a missing header, a bad address, an
 * overlong v1 line and a truncated v2 header each close the connection, reach no origin and
 * are logged; over TLS, a ClientHello sent in the same segment as the header is not lost.
 */
import http2 from 'node:http2';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { buildProxyHeader } from '../../src/proxy/proxy-protocol.js';
import { useCerts } from '../helpers/certs.js';
import { accessLines, useHarness, waitAccess } from '../helpers/harness.js';
import { rawValues, send, waitFor, withTimeout } from '../helpers/net.js';
import type { TestBulwark } from '../helpers/bulwark.js';

const certs = useCerts('bulwark-proxyproto-', { site: {} });
const V1 = 'PROXY TCP4 203.0.113.7 10.0.0.1 40000 8080\r\n';
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`;

function config(origin: string, o: { trusted?: string; listener?: string; route?: string } = {}): string {
  return [
    'listen:',
    `  - { address: 127.0.0.1:0, proxy_protocol: true${o.listener ?? ''} }`,
    'admin: { listen: 127.0.0.1:0 }',
    'log: { level: info, access: true }',
    'front: { timeouts: { headers: 1s } }',
    `trusted_proxies: [${o.trusted ?? '127.0.0.1'}]`,
    'upstreams:',
    '  web:',
    '    servers:',
    `      - { url: "${origin}" }`,
    'routes:',
    `  - upstream: web${o.route ?? ''}`,
    '',
  ].join('\n');
}

describe('proxy_protocol on a listener', () => {
  const h = useHarness();
  async function setup(o: Parameters<typeof config>[1] = {}): Promise<{ bw: TestBulwark; seen: Array<{ url: string; xff: string[] }> }> {
    const seen: Array<{ url: string; xff: string[] }> = [];
    const origin = await h.origin((req, res) => {
      seen.push({ url: req.url ?? '', xff: rawValues(req.rawHeaders, 'x-forwarded-for') });
      res.end('ok');
    });
    return { bw: await h.bulwark(config(origin.url, o)), seen };
  }
  const refusals = (bw: TestBulwark) => bw.logs.filter((l) => l['event'] === 'proxy_protocol_refused');

  it('takes the v1 source as the client, with requests pipelined right behind the header', async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    conn.write(V1 + GET('/a') + GET('/b'));
    expect((await conn.waitResponses(2)).map((r) => r.status)).toEqual([200, 200]);
    expect(seen).toEqual([{ url: '/a', xff: ['203.0.113.7'] }, { url: '/b', xff: ['203.0.113.7'] }]);
    expect((await waitAccess(bw, 2)).map((l) => l['client'])).toEqual(['203.0.113.7', '203.0.113.7']);
  });

  it('reads a header split across TCP segments', async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    conn.socket.setNoDelay(true);
    const v2 = buildProxyHeader('v2', { source: { address: '198.51.100.9', port: 5 }, destination: { address: '10.0.0.1', port: 80 } });
    for (const part of [v2.subarray(0, 5), v2.subarray(5, 14), v2.subarray(14, 20), Buffer.concat([v2.subarray(20), Buffer.from('GET /s HTT')])]) {
      conn.write(part);
      await new Promise((r) => setTimeout(r, 20));
    }
    conn.write('P/1.1\r\nHost: t\r\n\r\n');
    expect((await conn.waitResponses(1))[0]!.status).toBe(200);
    expect(seen).toEqual([{ url: '/s', xff: ['198.51.100.9'] }]);
  });

  it('keeps the peer for a v2 LOCAL header (the balancer’s own health check)', async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    conn.write(Buffer.concat([buildProxyHeader('v2', { source: { address: '1.2.3.4', port: 1 }, destination: { address: '::1', port: 2 } }), Buffer.from(GET('/h'))]));
    expect((await conn.waitResponses(1))[0]!.status).toBe(200);
    expect(seen).toEqual([{ url: '/h', xff: ['127.0.0.1'] }]);
  });

  it('keys rate_limit ip on the PROXY source', async () => {
    const { bw } = await setup({ route: '\n    rate_limit: { rate: 1/m, burst: 1, key: ip }' });
    const statuses: number[] = [];
    for (const src of ['203.0.113.1', '203.0.113.1', '203.0.113.2']) {
      const conn = await h.raw(bw.port);
      conn.write(`PROXY TCP4 ${src} 10.0.0.1 1000 80\r\n${GET('/')}`);
      statuses.push((await conn.waitResponses(1))[0]!.status);
    }
    expect(statuses).toEqual([200, 429, 200]);
  });

  it.each([
    ['a request without a header', GET('/x'), 'no PROXY protocol header'],
    ['a v1 header with a bad address', `PROXY TCP4 203.0.113.999 10.0.0.1 1 2\r\n${GET('/x')}`, 'v1 TCP4 header has an invalid address'],
    ['an overlong v1 line', `PROXY TCP4 ${'1'.repeat(200)}\r\n`, 'v1 header longer than 107 bytes'],
  ])('closes the connection on %s, and logs why', async (_name, bytes, reason) => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    conn.write(bytes);
    await withTimeout(conn.closed, 10_000, 'the connection to close');
    expect(conn.data).toBe('');
    expect(seen).toEqual([]);
    await waitFor(() => refusals(bw).length === 1, 10_000, 'the refusal logged');
    expect(refusals(bw)[0]).toMatchObject({ peer: '127.0.0.1', reason });
  });

  it('closes a connection whose v2 header stays truncated, when the head timeout passes', async () => {
    const { bw, seen } = await setup();
    const conn = await h.raw(bw.port);
    conn.write(buildProxyHeader('v2', { source: { address: '1.2.3.4', port: 1 }, destination: { address: '5.6.7.8', port: 2 } }).subarray(0, 20));
    await withTimeout(conn.closed, 10_000, 'the connection to close');
    expect([conn.data, seen]).toEqual(['', []]);
    await waitFor(() => refusals(bw).length === 1, 10_000, 'the refusal logged');
    expect(refusals(bw)[0]).toMatchObject({ reason: 'no complete PROXY protocol header in time' });
  });

  it('follows reloads: proxy_protocol switched on rebinds the listener; trusted_proxies applies to the next connection', async () => {
    const seen: string[] = [];
    const origin = await h.origin((req, res) => {
      seen.push(rawValues(req.rawHeaders, 'x-forwarded-for').join());
      res.end('ok');
    });
    const bw = await h.bulwark(config(origin.url).replace(', proxy_protocol: true', ''), { watch: false });
    const reload = async (text: string) => {
      await writeFile(bw.configFile, text);
      expect((await send(bw.adminUrl, { method: 'POST', path: '/reload' })).status).toBe(200);
    };
    expect((await send(bw.url, { path: '/' })).status).toBe(200);
    await reload(config(origin.url));
    const port = bw.app.addresses[0]!.port;
    const conn = await h.raw(port);
    conn.write(V1 + GET('/pp'));
    expect((await conn.waitResponses(1))[0]!.status).toBe(200);
    await reload(config(origin.url, { trusted: '10.0.0.0/8' }));
    const refused = await h.raw(bw.app.addresses[0]!.port);
    refused.write(V1 + GET('/no'));
    await withTimeout(refused.closed, 10_000, 'the connection to close');
    expect(seen).toEqual(['127.0.0.1', '203.0.113.7']);
  });

  it('closes a connection from a peer outside trusted_proxies, valid header or not', async () => {
    const { bw, seen } = await setup({ trusted: '10.0.0.0/8' });
    const conn = await h.raw(bw.port);
    conn.write(V1 + GET('/x'));
    await withTimeout(conn.closed, 10_000, 'the connection to close');
    expect([conn.data, seen, accessLines(bw)]).toEqual(['', [], []]);
    await waitFor(() => refusals(bw).length === 1, 10_000, 'the refusal logged');
    expect(refusals(bw)[0]).toMatchObject({ reason: 'PROXY protocol listener: the peer is not in trusted_proxies' });
  });

  it('serves HTTP/2 (h2c) behind the header, the source as the client', async () => {
    const { bw, seen } = await setup({ listener: ', http2: true' });
    const socket = net.connect(bw.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('PROXY TCP6 2001:db8::5 2001:db8::1 4000 80\r\n');
    const session = http2.connect(`http://127.0.0.1:${bw.port}`, { createConnection: () => socket });
    h.defer(() => session.destroy());
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/h2' });
      req.on('response', (head) => resolve(Number(head[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    expect(status).toBe(200);
    expect(seen).toEqual([{ url: '/h2', xff: ['2001:db8::5'] }]);
    expect((await waitAccess(bw, 1))[0]).toMatchObject({ client: '2001:db8::5' });
  });

  it.each([false, true])('serves TLS behind the header, the ClientHello in the same segment included (http2: %s)', async (h2) => {
    const { bw, seen } = await setup({ listener: `, tls: { cert: "${certs.site.cert}", key: "${certs.site.key}" }, http2: ${h2}` });
    for (const together of [false, true]) {
      // A relay in front, as a TCP balancer would be: it sends the header, then the client's bytes.
      const relay = net.createServer((client) => {
        const up = net.connect(bw.port, '127.0.0.1');
        up.setNoDelay(true);
        if (!together) up.write('PROXY TCP4 192.0.2.44 10.0.0.1 1 443\r\n');
        let first = together;
        client.on('data', (d: Buffer) => void up.write(first ? ((first = false), Buffer.concat([Buffer.from('PROXY TCP4 192.0.2.44 10.0.0.1 1 443\r\n'), d])) : d));
        up.on('data', (d: Buffer) => void client.write(d));
        up.on('error', () => client.destroy());
        client.on('error', () => up.destroy());
        up.on('close', () => client.destroy());
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      h.defer(() => new Promise((r) => relay.close(r)));
      const port = (relay.address() as net.AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.ca.pem }, () => s.write(`GET /tls-${together} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`));
        let out = '';
        s.on('data', (d: Buffer) => (out += d.toString()));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      });
      expect(body).toMatch(/^HTTP\/1.1 200/);
    }
    expect(seen).toEqual([{ url: '/tls-false', xff: ['192.0.2.44'] }, { url: '/tls-true', xff: ['192.0.2.44'] }]);
  });
});
