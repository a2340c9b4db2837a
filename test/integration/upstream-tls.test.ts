/**
 * @module test/integration/upstream-tls.test
 * Proxying to https:// servers with an upstream's `tls` block, against real https origins
 * with certificates made at test time: the right CA serves, SNI is the server's own name
 * (never the client's Host) and connections are reused; a wrong CA, a name mismatch, an
 * expired certificate, a plain HTTP server behind https:// and a refused client
 * certificate each give a 502 that names no server, BLWK_UPSTREAM_TLS in the access log,
 * and a connect failure on the server's record; verify: false and mutual TLS work.
 */
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AttemptOutcome } from '../../src/core/outcome.js';
import type { CertFiles } from '../helpers/certs.js';
import { useHarness } from '../helpers/harness.js';
import { httpsOrigin, upstreamPki, type UpstreamPki } from '../helpers/https-origin.js';
import { send, waitFor } from '../helpers/net.js';
import { startApp, webConfig, type ReloadBulwark } from '../helpers/reload.js';

let pki: UpstreamPki;
let ca: CertFiles;
let otherCa: CertFiles;
let site: CertFiles;
let expired: CertFiles;
let client: CertFiles;

beforeAll(() => {
  pki = upstreamPki();
  ({ ca, otherCa, site, expired, client } = pki);
}, 60_000);
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

/** YAML flow mapping of a tls block. */
const tlsLine = (tls: Record<string, string | boolean>): string =>
  `    tls: { ${Object.entries(tls).map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`).join(', ')} }`;

/** The access lines logged once there are `n` of them. */
async function accessLines(bw: ReloadBulwark, n: number): Promise<Array<Record<string, unknown>>> {
  const lines = (): Array<Record<string, unknown>> => bw.logs.filter((l) => l['msg'] === 'access');
  await waitFor(() => lines().length >= n, 10_000, `${n} access line(s)`);
  return lines();
}

/** Every attempt outcome on upstream "web" from now on. */
function outcomes(bw: ReloadBulwark): AttemptOutcome[] {
  const seen: AttemptOutcome[] = [];
  bw.app.proxy.state.upstreams.get('web')!.observers.push({ onAttemptEnd: (_s, o) => void seen.push(o) });
  return seen;
}

describe('upstream tls: proxying', () => {
  const h = useHarness();

  it('serves through an https server verified by the CA; SNI is its own name, connections are reused', async () => {
    const origin = await httpsOrigin(h, 'secure', { cert: site.pem, key: readKey(site) });
    const url = `https://localhost:${origin.port}`;
    const bw = await startApp(h, webConfig([{ name: 's1', url }], { upstream: [tlsLine({ ca: ca.cert })] }), { watch: false });
    for (const host of ['a.example', 'b.example', 'a.example']) {
      const r = await send(bw.url, { headers: { host } });
      expect([r.status, r.text]).toEqual([200, 'secure']);
    }
    // One connection for all three: the client's Host changed, the upstream's SNI did not.
    expect(origin.sni).toEqual(['localhost']);
  });

  it('sends no SNI to an IP literal and checks the certificate against the IP; servername overrides', async () => {
    const origin = await httpsOrigin(h, 'secure', { cert: site.pem, key: readKey(site) });
    const bw = await startApp(h, webConfig([{ name: 's1', url: origin.url }], { upstream: [tlsLine({ ca: ca.cert })] }), { watch: false });
    expect((await send(bw.url, { headers: { host: 'client.example' } })).status).toBe(200);
    expect(origin.sni).toEqual([false]);
    const named = await startApp(h, webConfig([{ name: 's1', url: origin.url }], { upstream: [tlsLine({ ca: ca.cert, servername: 'origin.test' })] }), { watch: false });
    expect((await send(named.url)).status).toBe(200);
    expect(origin.sni).toEqual([false, 'origin.test']);
  });

  it.each([
    ['a CA that did not sign the certificate', () => ({ tls: { ca: otherCa.cert }, cert: site }), /^upstream secret-server: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
    ['a servername the certificate does not carry', () => ({ tls: { ca: ca.cert, servername: 'elsewhere.test' }, cert: site }), /^upstream secret-server: ERR_TLS_CERT_ALTNAME_INVALID/],
    ['an expired certificate', () => ({ tls: { ca: ca.cert }, cert: expired }), /^upstream secret-server: CERT_HAS_EXPIRED/],
    ["Node's bundled roots for a private CA (no tls block)", () => ({ tls: undefined, cert: site }), /^upstream secret-server: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
  ])('answers 502 for %s, BLWK_UPSTREAM_TLS in the access log, a connect failure on the record', async (_what, setup, detail) => {
    const { tls, cert } = setup();
    const origin = await httpsOrigin(h, 'secure', { cert: cert.pem, key: readKey(cert) });
    const bw = await startApp(h, webConfig([{ name: 'secret-server', url: origin.url }], { upstream: tls === undefined ? [] : [tlsLine(tls)] }), { watch: false });
    const seen = outcomes(bw);
    const r = await send(bw.url);
    expect(r.status).toBe(502);
    expect(r.text).not.toMatch(/secret-server|127\.0\.0\.1|UNABLE|CERT|TLS/);
    const line = (await accessLines(bw, 1))[0]!;
    expect(line).toMatchObject({ status: 502, error: 'BLWK_UPSTREAM_TLS', server: 'secret-server' });
    expect(line['detail']).toMatch(detail);
    expect(seen.map((o) => o.result)).toEqual(['connect_failure']);
    expect(origin.requests).toBe(0);
  });

  it('answers 502 with BLWK_UPSTREAM_TLS for a plain HTTP server behind https://', async () => {
    const plain = await h.origin((_req, res) => res.end('plain'));
    const bw = await startApp(h, webConfig([{ name: 's1', url: plain.url.replace('http:', 'https:') }], { upstream: [tlsLine({ ca: ca.cert })] }), { watch: false });
    const seen = outcomes(bw);
    expect((await send(bw.url)).status).toBe(502);
    expect((await accessLines(bw, 1))[0]).toMatchObject({ status: 502, error: 'BLWK_UPSTREAM_TLS' });
    expect(seen.map((o) => o.result)).toEqual(['connect_failure']);
  });

  it('accepts any certificate with verify: false', async () => {
    const origin = await httpsOrigin(h, 'unverified', { cert: expired.pem, key: readKey(expired) });
    const bw = await startApp(h, webConfig([{ name: 's1', url: origin.url }], { upstream: [tlsLine({ ca: otherCa.cert, verify: false })] }), { watch: false });
    const r = await send(bw.url);
    expect([r.status, r.text]).toEqual([200, 'unverified']);
  });

  it('presents the client certificate to an origin that requires one (mutual TLS), and fails clearly without it', async () => {
    const origin = await httpsOrigin(h, 'mtls', { cert: site.pem, key: readKey(site), ca: ca.pem, requestCert: true, rejectUnauthorized: true });
    const bw = await startApp(h, webConfig([{ name: 's1', url: origin.url }], { upstream: [tlsLine({ ca: ca.cert, cert: client.cert, key: client.key })] }), { watch: false });
    const r = await send(bw.url);
    expect([r.status, r.text]).toEqual([200, 'mtls']);
    expect(origin.clientCns).toEqual(['bulwark-client']);

    const without = await startApp(h, webConfig([{ name: 's1', url: origin.url }], { upstream: [tlsLine({ ca: ca.cert })] }), { watch: false });
    expect((await send(without.url)).status).toBe(502);
    expect((await accessLines(without, 1))[0]).toMatchObject({ status: 502, error: 'BLWK_UPSTREAM_TLS' });
    expect(origin.requests).toBe(1);
  });
});

describe('upstream tls: WebSocket tunnels', () => {
  const h = useHarness();

  it('tunnels an upgrade to an https server with the same settings, and refuses it (502) on a wrong CA', async () => {
    const origin = await httpsOrigin(h, 'tls', { cert: site.pem, key: readKey(site) });
    const url = `https://localhost:${origin.port}`;
    const upgrade = async (caFile: string): Promise<string> => {
      const bw = await startApp(h, webConfig([{ name: 's1', url }], { upstream: [tlsLine({ ca: caFile })] }), { watch: false });
      const ws = new WebSocket(bw.url.replace('http:', 'ws:'), { headers: { host: 'client.example' } });
      h.defer(() => ws.terminate());
      return new Promise((resolve, reject) => {
        ws.once('open', () => ws.send('hi'));
        ws.once('message', (d) => resolve(String(d)));
        ws.once('unexpected-response', (_req, res) => resolve(`HTTP ${res.statusCode}`));
        ws.once('error', reject);
      });
    };
    expect(await upgrade(ca.cert)).toBe('tls:hi');
    expect(await upgrade(otherCa.cert)).toBe('HTTP 502');
  });
});

function readKey(c: CertFiles): string {
  return readFileSync(c.key, 'utf8');
}
