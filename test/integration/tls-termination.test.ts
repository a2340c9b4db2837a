/**
 * @module test/integration/tls-termination.test
 * A TLS listener in front of a plain origin, with certificates made at test time: the
 * handshake verifies against the test CA and requests are proxied with
 * X-Forwarded-Proto: https (over HTTP/1.1, whether or not http2 is on); SNI picks the certificate (exact, wildcard, default); ALPN
 * offers http/1.1 alone when http2 is off; min_version is enforced; HSTS goes on TLS
 * responses only; the sticky cookie is Secure on TLS only; redirect_https answers a plain
 * listener with 308 (400 without a Host); a plain-HTTP request to the TLS port and a
 * handshake that never completes are dropped without harm to other clients.
 */
import { describe, expect, it } from 'vitest';
import { useCerts } from '../helpers/certs.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { startApp } from '../helpers/reload.js';
import { tlsConfig, tlsConnect, tlsGet } from '../helpers/tls.js';

const certs = useCerts('bulwark-tls-', { site: {}, api: { names: ['api.example.com'] }, wild: { names: ['*.apps.example.com'] } });

/** An origin that answers with the X-Forwarded-Proto it was sent. */
const protoEcho = (h: ReturnType<typeof useHarness>) => h.origin((req, res) => res.end(`proto=${String(req.headers['x-forwarded-proto'])}`));

describe('TLS termination', () => {
  const h = useHarness();

  it('handshakes with the configured certificate and proxies with X-Forwarded-Proto: https; the plain listener says http', async () => {
    const origin = await protoEcho(h);
    const bw = await startApp(h, tlsConfig(origin.url, certs.site));
    const [tlsPort, plainPort] = bw.app.addresses.map((a) => a.port);
    const r = await tlsGet(tlsPort!, { ca: certs.ca });
    expect(r).toMatchObject({ status: 200, body: 'proto=https', cn: 'localhost', alpn: 'http/1.1' });
    expect(r.headers['strict-transport-security']).toBeUndefined();
    const plain = await fetch(`http://127.0.0.1:${plainPort}/`);
    expect(await plain.text()).toBe('proto=http');
  });

  it('picks the certificate by SNI: exact names, one-label wildcards, the default for other names', async () => {
    const origin = await protoEcho(h);
    const sni = `sni: [{ names: [api.example.com], cert: "${certs.api.cert}", key: "${certs.api.key}" }, { names: ["*.apps.example.com"], cert: "${certs.wild.cert}", key: "${certs.wild.key}" }]`;
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { tls: sni }));
    const port = bw.app.addresses[0]!.port;
    expect((await tlsGet(port, { ca: certs.ca, servername: 'api.example.com' })).cn).toBe('api.example.com');
    expect((await tlsGet(port, { ca: certs.ca, servername: 'one.apps.example.com' })).cn).toBe('*.apps.example.com');
    expect((await tlsGet(port, { ca: certs.ca, servername: 'localhost' })).cn).toBe('localhost');
    // Two labels are not covered by the wildcard (RFC 6125 §6.4.3): the default answers.
    const deep = await tlsConnect(port, { servername: 'a.b.apps.example.com', rejectUnauthorized: false });
    expect(deep.cn).toBe('localhost');
  });

  it('offers http/1.1 alone by ALPN when http2 is off', async () => {
    const origin = await protoEcho(h);
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { listener: 'http2: false' }));
    const port = bw.app.addresses[0]!.port;
    const { alpn } = await tlsConnect(port, { servername: 'localhost', ca: certs.ca.pem, ALPNProtocols: ['h2', 'http/1.1'] });
    expect(alpn).toBe('http/1.1');
  });

  it('refuses a client below min_version', async () => {
    const origin = await protoEcho(h);
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { tls: 'min_version: TLSv1.3' }));
    const port = bw.app.addresses[0]!.port;
    const err = await tlsConnect(port, { servername: 'localhost', ca: certs.ca.pem, maxVersion: 'TLSv1.2' }).then(() => new Error('handshake completed'), (e: Error) => e);
    expect(err.message).toMatch(/alert|version|handshake/i);
    expect((await tlsGet(port, { ca: certs.ca })).status).toBe(200);
  });

  it('adds Strict-Transport-Security on the TLS listener only, and marks the sticky cookie Secure there', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const yaml = tlsConfig(origin.url, certs.site, { listener: 'hsts: { max_age: 180d, include_subdomains: true }', upstream: ['    sticky: { mode: cookie }'] });
    const bw = await startApp(h, yaml);
    const [tlsPort, plainPort] = bw.app.addresses.map((a) => a.port);
    const r = await tlsGet(tlsPort!, { ca: certs.ca });
    expect(r.headers['strict-transport-security']).toBe('max-age=15552000; includeSubDomains');
    expect(String(r.headers['set-cookie'])).toMatch(/; Secure;/);
    const plain = await fetch(`http://127.0.0.1:${plainPort}/`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('redirect_https answers every request on the plain listener with 308 to https, and 400 without a Host', async () => {
    const origin = await protoEcho(h);
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { plain: '{ address: "127.0.0.1:0", redirect_https: 8443 }' }));
    const plainPort = bw.app.addresses[1]!.port;
    const raw = await h.raw(plainPort);
    raw.write(`GET /a/b?c=1 HTTP/1.1\r\nHost: shop.example.com:${plainPort}\r\n\r\n`);
    raw.write('GET /x HTTP/1.1\r\nHost: [::1]\r\n\r\n');
    const [r, v6] = await raw.waitResponses(2);
    expect(r).toMatchObject({ status: 308, headers: { location: 'https://shop.example.com:8443/a/b?c=1' } });
    expect(v6!.headers['location']).toBe('https://[::1]:8443/x');
    const noHost = await h.raw(plainPort);
    noHost.write('GET / HTTP/1.0\r\n\r\n');
    const [bad] = await noHost.waitResponses(1);
    expect(bad!.status).toBe(400);
    const badHost = await h.raw(plainPort);
    badHost.write('GET / HTTP/1.1\r\nHost: a b\r\n\r\n');
    expect((await badHost.waitResponses(1))[0]!.status).toBe(400);
    expect(origin.requests).toHaveLength(0);
  });

  it('drops a plain-HTTP request sent to the TLS port, and keeps serving TLS', async () => {
    const origin = await protoEcho(h);
    const bw = await startApp(h, tlsConfig(origin.url, certs.site));
    const port = bw.app.addresses[0]!.port;
    const raw = await h.raw(port);
    raw.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await raw.closed;
    expect(raw.data).not.toMatch(/^HTTP\/1\.1 200/);
    expect(origin.requests).toHaveLength(0);
    expect((await tlsGet(port, { ca: certs.ca })).status).toBe(200);
  });

  it('drops a handshake that never completes once the head timeout passes', async () => {
    const origin = await protoEcho(h);
    const bw = await startApp(h, tlsConfig(origin.url, certs.site, { front: '{ timeouts: { headers: 1s } }' }));
    const port = bw.app.addresses[0]!.port;
    const raw = await h.raw(port);
    // The first bytes of a ClientHello record, and then nothing.
    raw.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    let closed = false;
    void raw.closed.then(() => (closed = true));
    await waitFor(() => closed, 15_000, 'the stalled handshake to be dropped');
    expect((await tlsGet(port, { ca: certs.ca })).status).toBe(200);
  });
});
