/**
 * @module test/integration/h2-tls.test
 * HTTP/2 on a TLS listener (its default): ALPN gives h2 to clients that offer it and
 * http/1.1 to the others on the same port, both proxied to HTTP/1.1 origins with
 * X-Forwarded-Proto: https and the listener's HSTS; curl --http2 gets HTTP/2.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { useCerts } from '../helpers/certs.js';
import { useHarness } from '../helpers/harness.js';
import { h2Request, h2Session } from '../helpers/h2.js';
import { startApp } from '../helpers/reload.js';
import { tlsConfig, tlsConnect, tlsGet } from '../helpers/tls.js';

const run = promisify(execFile);
const certs = useCerts('bulwark-h2tls-', { site: {} });

describe('HTTP/2 on a TLS listener', () => {
  const h = useHarness();

  it('serves h2 and http/1.1 on one port by ALPN, with the same treatment', async () => {
    const origin = await h.origin((req, res) => res.end(`${req.httpVersion} ${req.headers.host} ${String(req.headers['x-forwarded-proto'])} ${req.url}`));
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { listener: 'hsts: true' }));
    const port = bw.app.addresses[0]!.port;
    expect((await tlsConnect(port, { servername: 'localhost', ca: certs.ca.pem, ALPNProtocols: ['h2', 'http/1.1'] })).alpn).toBe('h2');

    const s = await h2Session(h, `https://localhost:${port}`, { ca: certs.ca.pem, host: '127.0.0.1' } as never);
    const r = await h2Request(s, { ':path': '/two?x=1', ':authority': 'localhost' });
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('1.1 localhost https /two?x=1');
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000');

    const one = await tlsGet(port, { ca: certs.ca, path: '/one' });
    expect(one).toMatchObject({ status: 200, alpn: 'http/1.1', body: '1.1 localhost https /one' });
    expect(one.headers['strict-transport-security']).toBe('max-age=31536000');

    const curl = await run('curl', ['--http2', '-sS', '--cacert', certs.ca.cert, '--resolve', `localhost:${port}:127.0.0.1`, '-w', '\n%{http_version}', `https://localhost:${port}/curl`]);
    expect(curl.stdout).toBe(`1.1 localhost:${port} https /curl\n2`);
  });

  it('tunnels a WebSocket over an HTTP/1.1 connection on that port (WebSockets are HTTP/1.1 only)', async () => {
    // The harness closes the origin, and every socket it accepted, upgraded ones included.
    const origin = await h.origin((_req, res) => res.end('plain'));
    const wss = new WebSocketServer({ server: origin.server });
    h.defer(() => wss.close());
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(`echo:${String(d)}`)));
    const bw = await startApp(h, tlsConfig(origin.url, certs.site));
    const ws = new WebSocket(`wss://127.0.0.1:${bw.app.addresses[0]!.port}/chat`, { ca: certs.ca.pem, servername: 'localhost' } as WebSocket.ClientOptions);
    h.defer(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reply = new Promise((r) => ws.once('message', (d) => r(String(d))));
    ws.send('hi');
    expect(await reply).toBe('echo:hi');
  });

  it('answers 431 over HTTP/1.1 on that port past front.max_header_size, as on any listener', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { front: '{ max_header_size: 2kb }' }));
    const port = bw.app.addresses[0]!.port;
    const curl = await run('curl', ['--http1.1', '-sS', '-o', '/dev/null', '--cacert', certs.ca.cert, '--resolve', `localhost:${port}:127.0.0.1`, '-H', `x-big: ${'a'.repeat(3000)}`, '-w', '%{http_code}', `https://localhost:${port}/`]);
    expect(curl.stdout).toBe('431');
  });
});
