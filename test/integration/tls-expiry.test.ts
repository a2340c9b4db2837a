/**
 * @module test/integration/tls-expiry.test
 * A TLS listener while it runs: each served certificate's notAfter in /metrics and /status
 * (no PEM or key text), following a certificate swapped by a reload; `certificate_expiring`
 * warned once a day per certificate from 14 days before its notAfter, on the App's clock;
 * and a reload of front.timeouts.headers reaching the handshake timeout of a TLS listener
 * bound before it.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { liveCopy, replaceFiles, useCerts, type CertFiles } from '../helpers/certs.js';
import { ManualClock } from '../helpers/clock.js';
import { useHarness } from '../helpers/harness.js';
import { scrape } from '../helpers/metrics.js';
import { send, withTimeout } from '../helpers/net.js';
import { startApp, waitVersion } from '../helpers/reload.js';
import { tlsConfig } from '../helpers/tls.js';

const certs = useCerts('bulwark-expiry-', {
  live: {},
  next: { names: ['localhost', '*.localhost'], days: 30 },
  soon: { days: 3 },
  later: { days: 20 },
});

const GAUGE = 'bulwark_tls_certificate_expiry_timestamp_seconds';
const DAY = 86_400_000;
const notAfter = (c: CertFiles): number => Date.parse(new X509Certificate(c.pem).validTo);

async function statusText(adminUrl: string): Promise<string> {
  const r = await send(adminUrl, { path: '/status' });
  expect(r.status).toBe(200);
  return r.text;
}

describe('certificate expiry while running', () => {
  const h = useHarness();

  it('the gauge and /status show each served certificate, and follow a certificate a reload swaps in', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const cert = liveCopy(certs.dir, certs.live, 'site');
    const yaml = tlsConfig(origin.url, cert);
    const bw = await startApp(h, yaml);
    const listener = `127.0.0.1:${bw.port}`;
    const shows = async (names: string, c: CertFiles): Promise<void> => {
      const s = await scrape(bw.adminUrl);
      expect(s.series(GAUGE)).toEqual([{ name: GAUGE, labels: { listener, names }, value: notAfter(c) / 1000 }]);
      const text = await statusText(bw.adminUrl);
      expect(text).not.toMatch(/BEGIN|PRIVATE/);
      expect((JSON.parse(text) as { tls: unknown }).tls).toEqual([
        { listener, certificates: [{ names: names.split(','), file: cert.cert, not_after: new Date(notAfter(c)).toISOString() }] },
      ]);
    };
    await shows('localhost,127.0.0.1', certs.live);

    replaceFiles(certs.next, cert);
    await bw.save(yaml); // the same text: only the certificate files changed
    await waitVersion(bw.adminUrl, 2);
    await shows('localhost,*.localhost', certs.next);
  });

  it('warns of a certificate within 14 days of its notAfter once a day, on the App clock, and of another once it is within them', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const clock = new ManualClock(Date.now());
    const yaml = tlsConfig(origin.url, certs.soon, { plain: `{ address: "127.0.0.1:0", tls: { cert: "${certs.later.cert}", key: "${certs.later.key}" } }` });
    const bw = await startApp(h, yaml, { watch: false, clock });
    const warned = (c: CertFiles): Array<Record<string, unknown>> => bw.events('certificate_expiring').filter((e) => e['file'] === c.cert);
    expect(warned(certs.soon)).toEqual([
      expect.objectContaining({ level: 40, listeners: [`127.0.0.1:${bw.port}`], names: 'localhost,127.0.0.1', days_left: 3, not_after: new Date(notAfter(certs.soon)).toISOString() }),
    ]);
    expect(warned(certs.later)).toEqual([]);

    clock.advance(DAY - 60_000);
    expect(warned(certs.soon)).toHaveLength(1);
    clock.advance(60_000);
    expect(warned(certs.soon)).toHaveLength(2);
    expect(warned(certs.later)).toEqual([]);
    // `later` enters its last 14 days 6 days after it was made (a moment before the start).
    clock.advance(5 * DAY);
    expect(warned(certs.later)).toEqual([expect.objectContaining({ days_left: 14, listeners: [`127.0.0.1:${bw.app.addresses[1]!.port}`] })]);
    expect(warned(certs.soon)).toHaveLength(7);
    // An expired certificate still served goes on being warned of, once a day.
    clock.advance(DAY);
    expect(warned(certs.soon)).toHaveLength(8);
    expect(warned(certs.soon).at(-1)!['msg']).toMatch(/expired on/);
    expect(warned(certs.later)).toHaveLength(2);
  });
});

describe('handshake timeout', () => {
  const h = useHarness();

  it.each([false, true])('a reload of front.timeouts.headers applies to the handshakes of a TLS listener bound before it (http2: %s)', async (http2) => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const yaml = (headers: string): string => tlsConfig(origin.url, certs.live, { listener: `http2: ${http2}`, front: `{ timeouts: { headers: ${headers}, request: 120s } }` });
    const bw = await startApp(h, yaml('60s'), { watch: false });
    await bw.save(yaml('300ms'));
    expect((await bw.app.reload('api')).result).toBe('applied');

    // A client that connects and never starts its handshake is cut at the new 300 ms, not the old 60 s.
    const socket = net.connect(bw.port, '127.0.0.1');
    h.defer(() => socket.destroy());
    socket.on('error', () => {});
    await withTimeout(new Promise((r) => socket.once('close', r)), 15_000, 'the handshake timeout to close the connection');
  });
});
