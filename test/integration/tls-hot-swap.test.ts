/**
 * @module test/integration/tls-hot-swap.test
 * Certificate changes without dropping connections: under continuous load (new
 * connections and a keep-alive one), the certificate files are replaced and the config
 * saved unchanged; the reload swaps the certificate for new handshakes, the keep-alive
 * connection goes on with the old one, and no request fails. A replacement key that does
 * not match its certificate is refused and the running certificate stays.
 */
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCert, makeCa, type CertFiles } from '../helpers/certs.js';
import { useHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { startApp, waitRejected, waitVersion } from '../helpers/reload.js';
import { tlsConfig, tlsGet, type TlsReply } from '../helpers/tls.js';

let dir: string;
let ca: CertFiles;
/** The files the config names; the tests copy other certificates over them. */
let live: CertFiles;
let next: CertFiles;
let other: CertFiles;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-swap-'));
  ca = makeCa(dir);
  live = issueCert(dir, ca, 'live');
  next = issueCert(dir, ca, 'next');
  other = issueCert(dir, ca, 'other');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Copies `from`'s file over `to` by a rename, as certificate tools replace files. */
function replace(from: string, to: string): void {
  copyFileSync(from, `${to}.tmp`);
  renameSync(`${to}.tmp`, to);
}

/** Requests in a loop until stopped, counting failures; `agent` false: a new connection each. */
function loop(port: number, agent: https.Agent | false): { stop: () => Promise<{ ok: number; failed: string[]; last: TlsReply | undefined }> } {
  let stopped = false;
  let ok = 0;
  let last: TlsReply | undefined;
  const failed: string[] = [];
  const run = (async () => {
    while (!stopped) {
      await tlsGet(port, { ca, agent }).then(
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
    const cert = { cert: join(dir, 'site.crt'), key: join(dir, 'site.key'), pem: live.pem };
    replace(live.cert, cert.cert);
    replace(live.key, cert.key);
    const yaml = tlsConfig(origin.url, cert, { front: '{ timeouts: { keep_alive: 60s } }' });
    const bw = await startApp(h, yaml);
    const port = bw.app.addresses[0]!.port;
    const oldSerial = (await tlsGet(port, { ca })).serial;
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    h.defer(() => keepAlive.destroy());
    const first = await tlsGet(port, { ca, agent: keepAlive });
    expect(first.serial).toBe(oldSerial);

    const fresh = loop(port, false);
    const kept = loop(port, keepAlive);
    await waitFor(() => origin.requests.length > 20, 10_000, 'load before the swap');
    replace(next.cert, cert.cert);
    replace(next.key, cert.key);
    await bw.save(yaml); // the same text: only the certificate files changed
    await waitVersion(bw.adminUrl, 2);
    const after = origin.requests.length;
    await waitFor(() => origin.requests.length > after + 20, 10_000, 'load after the swap');
    const [f, k] = await Promise.all([fresh.stop(), kept.stop()]);

    expect({ fresh: f.failed, kept: k.failed }).toEqual({ fresh: [], kept: [] });
    const newSerial = (await tlsGet(port, { ca })).serial;
    expect(newSerial).not.toBe(oldSerial);
    expect(f.last!.serial).toBe(newSerial);
    // The keep-alive connection was never closed: it still shows the certificate it was made with.
    expect(k.last).toMatchObject({ serial: oldSerial, reused: true });
    expect(bw.events('config_reloaded')[0]!['changes']).toEqual(['listen[0].tls: certificate or key contents changed']);
  });

  it('a replaced key that does not match the certificate is refused; the running certificate stays', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const cert = { cert: join(dir, 'mix.crt'), key: join(dir, 'mix.key'), pem: live.pem };
    replace(live.cert, cert.cert);
    replace(live.key, cert.key);
    const yaml = tlsConfig(origin.url, cert);
    const bw = await startApp(h, yaml, { watch: false });
    const port = bw.app.addresses[0]!.port;
    const before = await tlsGet(port, { ca });
    replace(other.key, cert.key);
    expect(await bw.app.reload('signal')).toMatchObject({ result: 'rejected', errors: [expect.stringMatching(/listen\[0\]\.tls\.key: .*mix\.key does not match the certificate/)] });
    await waitRejected(bw.adminUrl);
    expect((await tlsGet(port, { ca })).serial).toBe(before.serial);
  });
});
