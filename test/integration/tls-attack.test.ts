/**
 * @module test/integration/tls-attack.test
 * A TLS listener under attack, with and without http2 (ALPN http/1.1 either way): a request
 * pipelined behind one that asks `Connection: close` never reaches the origin; a client that
 * leaves mid-pipeline cancels its upstream requests; client-initiated renegotiation (TLS 1.2)
 * is refused past Node's limit without harm to the process or other connections.
 */
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { useCerts } from '../helpers/certs.js';
import { useHarness } from '../helpers/harness.js';
import { parseResponses, waitFor } from '../helpers/net.js';
import { startApp } from '../helpers/reload.js';
import { tlsConfig, tlsGet } from '../helpers/tls.js';

const certs = useCerts('bulwark-tls-attack-', { site: {} });

describe('TLS listener attacks', () => {
  const h = useHarness();

  async function open(port: number, opts: tls.ConnectionOptions = {}): Promise<{ socket: tls.TLSSocket; data: () => string; closed: () => boolean }> {
    let data = '';
    let closed = false;
    const socket = tls.connect({ host: '127.0.0.1', port, ca: certs.ca.pem, servername: 'localhost', ALPNProtocols: ['http/1.1'], ...opts });
    h.defer(() => socket.destroy());
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return { socket, data: () => data, closed: () => closed };
  }

  for (const listener of ['http2: true', 'http2: false']) {
    it(`never forwards a request pipelined behind Connection: close (${listener})`, async () => {
      const origin = await h.origin((_req, res) => res.end('ok'));
      const bw = await startApp(h, tlsConfig(origin.url, certs.site, { listener }));
      const c = await open(bw.port);
      c.socket.write('GET /first HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\nPOST /more HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n');
      await waitFor(c.closed, 10_000, 'the connection to close');
      // Node's parser refuses data after a Connection: close request (llhttp: a 400 of its
      // own, then the close) or bulwark answers the first alone: one answer either way.
      expect(parseResponses(c.data(), true).length, c.data()).toBe(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(origin.requests.map((r) => r.url).filter((u) => u !== '/first')).toEqual([]);
    });

    it(`cancels the upstream requests of a client that leaves mid-pipeline (${listener})`, async () => {
      const closedAt: string[] = [];
      const origin = await h.origin((req, res) => {
        res.on('close', () => closedAt.push(req.url!));
        if (req.url === '/fast') res.end('ok'); // the rest never answer
      });
      const bw = await startApp(h, tlsConfig(origin.url, certs.site, { listener }));
      const c = await open(bw.port);
      c.socket.write('GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\n\r\nGET /slow2 HTTP/1.1\r\nHost: t\r\n\r\n');
      await waitFor(() => origin.requests.length >= 2, 10_000, 'the pipelined requests at the origin');
      c.socket.destroy();
      await waitFor(() => closedAt.includes('/slow') && origin.requests.every((r) => closedAt.includes(r.url!)), 10_000, 'every upstream request to end');
      await waitFor(() => bw.app.proxy.inFlight === 0, 10_000, 'no request in flight');
    });
  }

  it('refuses client-initiated renegotiation past the limit; the process serves on', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { listener: 'http2: false' }));
    const c = await open(bw.port, { maxVersion: 'TLSv1.2' });
    // Each try is done, refused or ignored (no answer within the bound): what matters is
    // that the renegotiations stop and the process serves on.
    let done = 0;
    for (let i = 0; i < 10 && !c.closed(); i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 2000);
        if (!c.socket.renegotiate({}, (err) => (clearTimeout(timer), resolve(err === null)))) resolve(false);
      });
      if (!ok) break;
      done++;
    }
    expect(done).toBeLessThanOrEqual(3); // tls.CLIENT_RENEG_LIMIT
    const r = await tlsGet(bw.port, { ca: certs.ca, path: '/' });
    expect(r.status).toBe(200);
  });
});
