/**
 * @module test/unit/config/validate-listen
 * `listen:` entries as listener objects: TLS with SNI, http2's default, redirect_https and
 * hsts, and the certificate checks made at load (certificates made by openssl at test time).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { useCerts } from '../../helpers/certs.js';
import { onlyRule, problems, valid, yamlWith } from './fixtures.js';

const certs = useCerts('bulwark-listen-', { site: {}, api: { names: ['api.example.com'] }, expired: { days: -1 }, soon: { days: 3 } });

const tlsListener = (tls: Record<string, unknown>, more: Record<string, unknown> = {}): string =>
  yamlWith({ listen: [{ address: '127.0.0.1:8443', tls: { cert: certs.site.cert, key: certs.site.key, ...tls }, ...more }] });

describe('listener objects', () => {
  it('mixes strings and objects; http2 defaults to true with tls, false without', () => {
    const c = valid(yamlWith({ listen: ['127.0.0.1:8080', { address: '127.0.0.1:8443', tls: { cert: certs.site.cert, key: certs.site.key } }, { address: 8081, http2: true }] }));
    expect(c.listen.map((l) => [l.address.port, l.tls !== undefined, l.http2])).toEqual([[8080, false, false], [8443, true, true], [8081, false, true]]);
    const tls = c.listen[1]!.tls!;
    expect(tls).toMatchObject({ cert: certs.site.cert, key: certs.site.key, min_version: 'TLSv1.2', ciphers: undefined, sni: [] });
    expect(tls.cert_pem).toBe(certs.site.pem);
    // One listener mapping alone, without a list.
    expect(valid(yamlWith({ listen: { address: 9000, http2: true } })).listen).toEqual([{ address: { host: '0.0.0.0', port: 9000 }, tls: undefined, http2: true, redirect_https: undefined, hsts: undefined }]);
  });

  it('reads SNI entries, lower-cased, and resolves paths against the config file', () => {
    const file = join(certs.dir, 'bulwark.yaml');
    const text = yamlWith({ listen: [{ address: 8443, tls: { cert: 'site.crt', key: 'site.key', sni: [{ names: ['API.example.com', '*.api.example.com'], cert: 'api.crt', key: 'api.key' }] } }] });
    const { config, issues } = parseConfig(text, file);
    expect(issues).toEqual([]);
    expect(config!.listen[0]!.tls!.sni).toMatchObject([{ names: ['api.example.com', '*.api.example.com'], cert: certs.api.cert, key: certs.api.key }]);
  });

  it('reports unknown keys with a suggestion, and bad values where they are written', () => {
    expect(onlyRule(yamlWith({ listen: [{ address: 80, redirect_http: 443 }] }), 'listen[0].redirect_http')).toMatch(/^unknown key "redirect_http"; expected one of: address, tls, http2, redirect_https, hsts.*did you mean "redirect_https"/);
    expect(onlyRule(yamlWith({ listen: [{ tls: { cert: certs.site.cert, key: certs.site.key } }] }), 'listen[0].address')).toBe('is required');
    expect(onlyRule(tlsListener({ min_version: 'TLSv1.1' }), 'listen[0].tls.min_version')).toMatch(/^must be one of: TLSv1.2, TLSv1.3/);
    expect(onlyRule(tlsListener({ ciphers: 'NOT-A-CIPHER' }), 'listen[0].tls.ciphers')).toMatch(/^is not a cipher list OpenSSL accepts/);
    expect(onlyRule(tlsListener({ sni: [{ names: ['*'], cert: certs.api.cert, key: certs.api.key }] }), 'listen[0].tls.sni[0].names[0]')).toMatch(/host name/);
    expect(onlyRule(tlsListener({}, { redirect_https: 443 }), 'listen[0].redirect_https')).toBe('is for a plain listener (this one has tls)');
    expect(onlyRule(yamlWith({ listen: [{ address: 80, hsts: true }] }), 'listen[0].hsts')).toMatch(/^needs tls on this listener/);
    expect(onlyRule(yamlWith({ listen: [{ address: 80, redirect_https: 70000 }] }), 'listen[0].redirect_https')).toBe('must be an integer between 1 and 65535');
    expect(valid(tlsListener({ ciphers: 'ECDHE+AESGCM', min_version: 'TLSv1.3' })).listen[0]!.tls).toMatchObject({ ciphers: 'ECDHE+AESGCM', min_version: 'TLSv1.3' });
  });

  it('reads hsts as true or a block, in seconds, and keeps preload honest', () => {
    expect(valid(tlsListener({}, { hsts: true })).listen[0]!.hsts).toEqual({ max_age: 31_536_000, include_subdomains: false, preload: false });
    expect(valid(tlsListener({}, { hsts: { max_age: '180d', include_subdomains: true } })).listen[0]!.hsts).toEqual({ max_age: 180 * 86_400, include_subdomains: true, preload: false });
    expect(valid(tlsListener({}, { hsts: false })).listen[0]!.hsts).toBeUndefined();
    expect(onlyRule(tlsListener({}, { hsts: { preload: true } }), 'listen[0].hsts.preload')).toMatch(/^needs include_subdomains: true/);
  });

  it('checks address conflicts across listener objects', () => {
    expect(problems(yamlWith({ listen: ['0.0.0.0:8443', { address: '127.0.0.1:8443', tls: { cert: certs.site.cert, key: certs.site.key } }] }))).toEqual([
      'listen[1].address: 127.0.0.1:8443 conflicts with listen[0] (0.0.0.0:8443): same port on an overlapping host',
    ]);
  });
});

describe('certificate checks at load', () => {
  it('refuses an unreadable file, naming it', () => {
    expect(onlyRule(tlsListener({ cert: join(certs.dir, 'missing.crt') }), 'listen[0].tls.cert')).toBe(`cannot read ${join(certs.dir, 'missing.crt')}: ENOENT`);
    expect(onlyRule(tlsListener({ key: certs.dir }), 'listen[0].tls.key')).toMatch(/^cannot read .*: (EISDIR|not a regular file)/);
  });

  it('refuses a key that does not match its certificate, and a file that holds none', () => {
    expect(onlyRule(tlsListener({ key: certs.api.key }), 'listen[0].tls.key')).toBe(`${certs.api.key} does not match the certificate in ${certs.site.cert}`);
    expect(onlyRule(tlsListener({ cert: certs.site.key }), 'listen[0].tls.cert')).toMatch(/holds no PEM certificate/);
    expect(onlyRule(tlsListener({ key: certs.site.cert }), 'listen[0].tls.key')).toMatch(/holds no unencrypted PEM private key/);
    expect(onlyRule(tlsListener({ sni: [{ names: ['api.example.com'], cert: certs.api.cert, key: certs.site.key }] }), 'listen[0].tls.sni[0].key')).toMatch(/does not match/);
  });

  it('refuses an expired certificate; one expiring within 14 days is a warning', () => {
    expect(onlyRule(tlsListener({ cert: certs.expired.cert, key: certs.expired.key }), 'listen[0].tls.cert')).toMatch(/^the certificate in .*expired\.crt \(CN=localhost\) expired on \d{4}-\d\d-\d\d$/);
    const { config, issues, warnings } = parseConfig(tlsListener({ cert: certs.soon.cert, key: certs.soon.key }), 'test.yaml');
    expect(issues).toEqual([]);
    expect(config).toBeDefined();
    expect(warnings.map((w) => [w.path, w.rule])).toEqual([['listen[0].tls.cert', expect.stringMatching(/expires on \d{4}-\d\d-\d\d, in 3 days$/)]]);
  });

  it('a file over the size limit is refused without being read', () => {
    const big = join(certs.dir, 'big.crt');
    writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 65));
    expect(onlyRule(tlsListener({ cert: big }), 'listen[0].tls.cert')).toMatch(/over the 1048576 byte limit/);
  });
});
