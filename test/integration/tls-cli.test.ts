/**
 * @module test/integration/tls-cli.test
 * The built CLI with TLS listeners: `bulwark validate` refuses a key that does not match
 * its certificate and an expired certificate with positioned errors, and warns (exit 0)
 * of one expiring within 14 days; with `workers: 2`, SIGHUP after the certificate files are
 * replaced reaches every worker: new handshakes, whichever worker takes them, get the new
 * certificate.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { issueCert, liveCopy, replaceFiles, useCerts } from '../helpers/certs.js';
import { assertBuilt, runCli, tempConfig } from '../helpers/cli.js';
import { startGroup, waitAsync } from '../helpers/group.js';
import { useHarness } from '../helpers/harness.js';
import { tlsConfig, tlsGet } from '../helpers/tls.js';

const certs = useCerts('bulwark-tls-cli-', { site: {}, other: {} });
beforeAll(assertBuilt);

describe('bulwark validate with TLS listeners', () => {
  const h = useHarness();

  it('refuses a key that does not match its certificate, at file:line:col with the key path', async () => {
    const file = await tempConfig(h, tlsConfig('http://127.0.0.1:1', { ...certs.site, key: certs.other.key }));
    const r = await runCli(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2:`);
    expect(r.stderr).toMatch(/bulwark\.yaml:2:\d+: listen\[0\]\.tls\.key: .*other\.key does not match the certificate in .*site\.crt/);
  });

  it('refuses an expired certificate', async () => {
    const expired = issueCert(certs.dir, certs.ca, 'expired', { days: -1 });
    const file = await tempConfig(h, tlsConfig('http://127.0.0.1:1', expired));
    const r = await runCli(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bulwark\.yaml:2:\d+: listen\[0\]\.tls\.cert: the certificate in .*expired\.crt \(CN=localhost\) expired on \d{4}-\d\d-\d\d/);
  });

  it('warns of a certificate expiring within 14 days and still passes', async () => {
    const soon = issueCert(certs.dir, certs.ca, 'soon', { days: 5 });
    const file = await tempConfig(h, tlsConfig('http://127.0.0.1:1', soon));
    const r = await runCli(['validate', '-c', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: ok\n`);
    expect(r.stderr).toMatch(/bulwark\.yaml:2:\d+: listen\[0\]\.tls\.cert: warning: the certificate in .*soon\.crt expires on \d{4}-\d\d-\d\d, in 5 days/);
  });
});

describe('workers: 2 with a TLS listener', () => {
  const h = useHarness();

  it('SIGHUP after replacing the certificate files: every worker serves the new certificate', async () => {
    const origin = await h.origin((_req, res) => res.end('ok'));
    const live = liveCopy(certs.dir, certs.site, 'group');
    const p = await startGroup(h, tlsConfig(origin.url, live, { workers: 2 }));
    const serials = async (n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await tlsGet(p.port, { ca: certs.ca })).serial);
      return out;
    };
    const before = await serials(4);
    expect(new Set(before).size).toBe(1);
    replaceFiles(certs.other, live);
    p.signal('SIGHUP');
    // Both workers apply it; until then a new connection may still reach one that has not.
    let last: string[] = [];
    await waitAsync(async () => (last = await serials(8)).every((s) => s !== before[0]), 20_000, 'every worker to serve the new certificate');
    expect(new Set(last).size).toBe(1);
  }, 60_000);
});
