/**
 * @module test/integration/tls-hot-swap.test
 * Certificate changes without dropping connections: under continuous load (new
 * connections and a keep-alive one), the certificate files are replaced and the config
 * saved unchanged; the reload swaps the certificate for new handshakes, the keep-alive
 * connection goes on with the old one, and no request fails. A replacement key that does
 * not match its certificate is refused and the running certificate stays. A listener
 * whose kind changes at the same address is bound again; other settings apply in place.
 */
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import { liveCopy, replaceFiles, useCerts } from '../helpers/certs.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { closedPort } from '../helpers/origin.js';
import { startApp, waitRejected, waitVersion } from '../helpers/reload.js';
import { tlsConfig, tlsGet, type TlsReply } from '../helpers/tls.js';

/** `live` starts in the files the config names; the tests copy the others over them. */
const certs = useCerts('bulwark-swap-', { live: {}, next: {}, other: {} });

/** Requests in a loop until stopped, counting failures; `agent` false: a new connection each. */
function loop(port: number, agent: https.Agent | false): { stop: () => Promise<{ ok: number; failed: string[]; last: TlsReply | undefined }> } {
  let stopped = false;
  let ok = 0;
  let last: TlsReply | undefined;
  const failed: string[] = [];
  const run = (async () => {
    while (!stopped) {
      await tlsGet(port, { ca: certs.ca, agent }).then(
        (r) => (r.status === 200 ? (ok++, (last = r)) : failed.push(`status ${r.status}`)),
        (err: Error) => failed.push(err.message),
      );
    }
  })();
  return { stop: async () => ((stopped = true), await run, { ok, failed, last }) };
}

describe('certificate hot swap', () => {
  const h = useHarness();

  it('under load: new handshakes get the new certificate, a keep-alive connection keeps going, 0 failed requests', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const cert = liveCopy(certs.dir, certs.live, 'site');
    const yaml = tlsConfig(origin.url, cert, { front: '{ timeouts: { keep_alive: 60s } }' });
    const bw = await startApp(h, yaml);
    const port = bw.app.addresses[0]!.port;
    const oldSerial = (await tlsGet(port, { ca: certs.ca })).serial;
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    h.defer(() => keepAlive.destroy());
    const first = await tlsGet(port, { ca: certs.ca, agent: keepAlive });
    expect(first.serial).toBe(oldSerial);

    const fresh = loop(port, false);
    const kept = loop(port, keepAlive);
    // Stopped below; also when the test fails before that, so no loop outlives it.
    h.defer(() => Promise.all([fresh.stop(), kept.stop()]));
    await waitFor(() => origin.requests.length > 20, 10_000, 'load before the swap');
    replaceFiles(certs.next, cert);
    await bw.save(yaml); // the same text: only the certificate files changed
    await waitVersion(bw.adminUrl, 2);
    const after = origin.requests.length;
    await waitFor(() => origin.requests.length > after + 20, 10_000, 'load after the swap');
    const [f, k] = await Promise.all([fresh.stop(), kept.stop()]);

    expect({ fresh: f.failed, kept: k.failed }).toEqual({ fresh: [], kept: [] });
    const newSerial = (await tlsGet(port, { ca: certs.ca })).serial;
    expect(newSerial).not.toBe(oldSerial);
    expect(f.last!.serial).toBe(newSerial);
    // The keep-alive connection was never closed: it still shows the certificate it was made with.
    expect(k.last).toMatchObject({ serial: oldSerial, reused: true });
    expect(bw.events('config_reloaded')[0]!['changes']).toEqual(['listen[0].tls: certificate or key contents changed']);
  });

  it('a replaced key that does not match the certificate is refused; the running certificate stays', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const cert = liveCopy(certs.dir, certs.live, 'mix');
    const yaml = tlsConfig(origin.url, cert);
    const bw = await startApp(h, yaml, { watch: false });
    const port = bw.app.addresses[0]!.port;
    const before = await tlsGet(port, { ca: certs.ca });
    replaceFiles({ cert: cert.cert, key: certs.other.key }, cert);
    expect(await bw.app.reload('signal')).toMatchObject({ result: 'rejected', errors: [expect.stringMatching(/listen\[0\]\.tls\.key: .*mix\.key does not match the certificate/)] });
    await waitRejected(bw.adminUrl);
    expect((await tlsGet(port, { ca: certs.ca })).serial).toBe(before.serial);
  });

  it('a listener that turns TLS at the same address is bound again as TLS; hsts added by a reload applies to the running listener', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const port = await closedPort();
    const plain = tlsConfig(origin.url, certs.live).replace(/^ {2}- \{ address: "127\.0\.0\.1:0", tls: .*$/m, `  - 127.0.0.1:${port}`);
    const bw = await startApp(h, plain, { watch: false });
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    await bw.save(tlsConfig(origin.url, certs.live, { address: `127.0.0.1:${port}` }));
    expect(await bw.app.reload('signal')).toMatchObject({ result: 'applied' });
    expect((await tlsGet(port, { ca: certs.ca })).status).toBe(200);
    await bw.save(tlsConfig(origin.url, certs.live, { address: `127.0.0.1:${port}`, listener: 'hsts: true' }));
    expect(await bw.app.reload('signal')).toMatchObject({ result: 'applied', changes: ['listen[0].hsts added'] });
    expect((await tlsGet(port, { ca: certs.ca })).headers['strict-transport-security']).toBe('max-age=31536000');
  });
});
