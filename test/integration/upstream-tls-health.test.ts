/**
 * @module test/integration/upstream-tls-health.test
 * Health checks of https:// servers use the upstream's `tls` settings: an http check (and a
 * tcp check, which completes the TLS handshake) marks a server down on a wrong CA, and a
 * reload that fixes the CA brings it back. A reload that changes a certificate's contents
 * under the same path rebuilds the pools: new connections present the new client
 * certificate. Certificates are made at test time; origins on 127.0.0.1 port 0.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/core/server.js';
import type { CertFiles } from '../helpers/certs.js';
import { useHarness } from '../helpers/harness.js';
import { httpsOrigin, upstreamPki, type UpstreamPki } from '../helpers/https-origin.js';
import { send, waitFor } from '../helpers/net.js';
import { adminPost, startApp, webConfig, type ReloadBulwark } from '../helpers/reload.js';

let pki: UpstreamPki;
let ca: CertFiles;
let otherCa: CertFiles;
let site: CertFiles;

beforeAll(() => {
  pki = upstreamPki();
  ({ ca, otherCa, site } = pki);
}, 60_000);
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

const siteTls = (): { cert: string; key: string } => ({ cert: site.pem, key: readFileSync(site.key, 'utf8') });
const server = (bw: ReloadBulwark): Server => bw.app.proxy.state.upstreams.get('web')!.servers.all[0]!;
const checks = (type: string): string => `    health_check: { type: ${type},${type === 'http' ? ' path: /,' : ''} interval: 1s, fast_interval: 100ms, timeout: 1s, fall: 2, rise: 1, jitter: 0% }`;

async function reload(bw: ReloadBulwark, yaml?: string): Promise<{ result: string; changes: string[] }> {
  if (yaml !== undefined) await bw.save(yaml);
  return JSON.parse((await adminPost(bw.adminUrl, '/reload')).text) as { result: string; changes: string[] };
}

describe('upstream tls: health checks and reloads', () => {
  const h = useHarness();

  it.each(['http', 'tcp'])('a %s check marks the server down on a wrong CA, and up once a reload fixes it', async (type) => {
    const origin = await httpsOrigin(h, 'secure', siteTls());
    const config = (caFile: string): string => webConfig([{ name: 's1', url: origin.url }], { upstream: [checks(type), `    tls: { ca: "${caFile}" }`] });
    const bw = await startApp(h, config(otherCa.cert), { watch: false });
    await waitFor(() => server(bw).hasFlag('failed_health_check'), 15_000, 'the server marked down');
    expect(server(bw).lastCheck?.detail).toBe('tls UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect((await send(bw.url)).status).toBe(503);

    expect(await reload(bw, config(ca.cert))).toMatchObject({ result: 'applied' });
    await waitFor(() => !server(bw).hasFlag('failed_health_check'), 15_000, 'the server back up');
    expect(server(bw).lastCheck?.detail).toBe(type === 'http' ? 'HTTP 200' : 'TLS handshake ok');
    const r = await send(bw.url);
    expect([r.status, r.text]).toEqual([200, 'secure']);
  });

  it('rebuilds the pool when a certificate file changes under the same path: new connections present it', async () => {
    const origin = await httpsOrigin(h, 'mtls', { ...siteTls(), ca: ca.pem, requestCert: true, rejectUnauthorized: true });
    const own = mkdtempSync(join(pki.dir, 'client-'));
    const cert = join(own, 'client.crt');
    const key = join(own, 'client.key');
    copyFileSync(pki.client.cert, cert);
    copyFileSync(pki.client.key, key);
    const bw = await startApp(h, webConfig([{ name: 's1', url: origin.url }], { upstream: [`    tls: { ca: "${ca.cert}", cert: "${cert}", key: "${key}" }`] }), { watch: false });
    expect((await send(bw.url)).status).toBe(200);

    copyFileSync(pki.client2.cert, cert);
    copyFileSync(pki.client2.key, key);
    expect(await reload(bw)).toMatchObject({ result: 'applied', changes: ['upstream web: tls: certificate, key or CA file contents changed'] });
    expect((await send(bw.url)).status).toBe(200);
    expect(origin.clientCns).toEqual(['bulwark-client', 'bulwark-client-2']);
    expect(origin.sni).toHaveLength(2);
  });
});
