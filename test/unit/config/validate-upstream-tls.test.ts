/**
 * @module test/unit/config/validate-upstream-tls
 * An upstream's `tls:` block: files read and checked at load where they are written,
 * servername's rules, verify: false warned, and a block with no https:// server to apply
 * to refused (certificates made by openssl at test time).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffConfig, parseConfig } from '../../../src/config/index.js';
import type { CertFiles } from '../../helpers/certs.js';
import { upstreamPki } from '../../helpers/https-origin.js';
import { onlyRule, upstreamWith, valid, web } from './fixtures.js';

let dir: string;
let ca: CertFiles;
let client: CertFiles;
let other: CertFiles;
let expired: CertFiles;

beforeAll(() => {
  const pki = upstreamPki();
  ({ dir, ca, client, expired } = pki);
  other = pki.site;
  writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HTTPS = [{ url: 'https://127.0.0.1:3443' }];
const withTls = (tls: unknown, servers: unknown[] = HTTPS): string => upstreamWith({ servers, tls });

describe('upstream tls', () => {
  it('is absent by default; reads ca, a client pair and servername, verify defaulting to true', () => {
    expect(web(upstreamWith({ servers: HTTPS })).tls).toBeUndefined();
    const tls = web(withTls({ ca: ca.cert, cert: client.cert, key: client.key, servername: 'API.internal' })).tls!;
    expect(tls).toMatchObject({ ca: ca.cert, cert: client.cert, key: client.key, servername: 'api.internal', verify: true });
    expect([tls.ca_pem, tls.cert_pem]).toEqual([ca.pem, client.pem]);
    expect(web(withTls({})).tls).toEqual({ ca: undefined, ca_pem: undefined, cert: undefined, cert_pem: undefined, key: undefined, key_pem: undefined, servername: undefined, verify: true });
  });

  it('resolves paths against the config file', () => {
    const { config, issues } = parseConfig(withTls({ ca: 'ca.crt' }), join(dir, 'bulwark.yaml'));
    expect(issues).toEqual([]);
    expect(config!.upstreams.get('web')!.tls!.ca).toBe(ca.cert);
  });

  it('allows http:// and https:// servers mixed, and refuses a block with no https:// server', () => {
    expect(web(withTls({ ca: ca.cert }, [{ url: 'http://127.0.0.1:3001' }, ...HTTPS])).tls!.ca).toBe(ca.cert);
    expect(onlyRule(withTls({ ca: ca.cert }, [{ url: 'http://127.0.0.1:3001' }]), 'upstreams.web.tls')).toMatch(/^applies to https:\/\/ servers only, and this upstream has none/);
  });

  it('reports unreadable files, a CA bundle without a certificate, and a client pair that does not go together', () => {
    expect(onlyRule(withTls({ ca: join(dir, 'missing.pem') }), 'upstreams.web.tls.ca')).toMatch(/^cannot read .*missing\.pem: ENOENT/);
    expect(onlyRule(withTls({ ca: join(dir, 'junk.pem') }), 'upstreams.web.tls.ca')).toMatch(/junk\.pem holds no PEM certificate/);
    expect(onlyRule(withTls({ ca: client.key }), 'upstreams.web.tls.ca')).toMatch(/holds no PEM certificate/);
    expect(onlyRule(withTls({ cert: client.cert, key: other.key }), 'upstreams.web.tls.key')).toMatch(/site\.key does not match the certificate in .*client\.crt/);
    expect(onlyRule(withTls({ cert: client.cert }), 'upstreams.web.tls.cert')).toMatch(/^needs key too/);
    expect(onlyRule(withTls({ key: client.key }), 'upstreams.web.tls.key')).toMatch(/^needs cert too/);
    expect(onlyRule(withTls({ cert: join(dir, 'junk.pem'), key: client.key }), 'upstreams.web.tls.cert')).toMatch(/holds no PEM certificate/);
    expect(onlyRule(withTls({ cert: expired.cert, key: expired.key }), 'upstreams.web.tls.cert')).toMatch(/expired on/);
  });

  it('points at the line of the bad value', () => {
    const text = `upstreams:\n  web:\n    servers:\n      - url: https://127.0.0.1:3443\n    tls:\n      ca: ${join(dir, 'junk.pem')}\nroutes:\n  - upstream: web\n`;
    const found = parseConfig(text, 'x.yaml').issues;
    expect(found.map((i) => [i.line, i.column, i.path])).toEqual([[6, 11, 'upstreams.web.tls.ca']]);
  });

  it('takes a host name as servername, never an IP literal or a wildcard', () => {
    expect(onlyRule(withTls({ servername: '10.0.0.1' }), 'upstreams.web.tls.servername')).toMatch(/not an IP address \(SNI carries names only, RFC 6066 §3\)/);
    expect(onlyRule(withTls({ servername: '::1' }), 'upstreams.web.tls.servername')).toMatch(/not an IP address/);
    expect(onlyRule(withTls({ servername: '*.internal' }), 'upstreams.web.tls.servername')).toBe('must be a host name like api.internal');
    expect(onlyRule(withTls({ servername: 'a b' }), 'upstreams.web.tls.servername')).toBe('must be a host name like api.internal');
  });

  it('accepts verify: false with a warning where it is written; rejects unknown keys', () => {
    const { config, issues, warnings } = parseConfig(withTls({ verify: false }), 'x.yaml');
    expect(issues).toEqual([]);
    expect(config!.upstreams.get('web')!.tls!.verify).toBe(false);
    expect(warnings.map((w) => [w.path, w.rule])).toEqual([['upstreams.web.tls.verify', expect.stringMatching(/^false: any certificate these servers present is accepted/)]]);
    expect(onlyRule(withTls({ verify: 'no' }), 'upstreams.web.tls.verify')).toMatch(/true or false/);
    expect(onlyRule(withTls({ cafile: ca.cert }), 'upstreams.web.tls.cafile')).toMatch(/^unknown key "cafile"; expected one of: ca, cert, key, servername, verify/);
  });
});

describe('a reload that changes upstream tls', () => {
  const planOf = (a: string, b: string) => diffConfig(valid(a), valid(b));

  it('rebuilds the pools and the health checker (their connections use tls), keeping the servers', () => {
    const p = planOf(withTls({ ca: ca.cert }), withTls({ ca: ca.cert, servername: 'api.internal' }));
    expect(p.upstreams.get('web')!.keep).toEqual({ pools: false, scheduler: true, sticky: true, faultTolerance: false });
    expect([...p.upstreams.get('web')!.servers.values()]).toEqual(['keep']);
    expect(p.summary).toEqual(['upstream web: tls.servername none → api.internal']);
  });

  it('notes new file contents under the same paths without ever printing PEM text', () => {
    const file = join(dir, 'ca-copy.crt');
    writeFileSync(file, ca.pem);
    const before = valid(withTls({ ca: file, cert: client.cert, key: client.key }));
    writeFileSync(file, `${ca.pem}${client.pem}`);
    const p = diffConfig(before, valid(withTls({ ca: file, cert: client.cert, key: client.key })));
    expect(p.changed).toBe(true);
    expect(p.upstreams.get('web')!.keep.pools).toBe(false);
    expect(p.summary).toEqual(['upstream web: tls: certificate, key or CA file contents changed']);
    const swapped = planOf(withTls({ cert: client.cert, key: client.key }), withTls({ cert: other.cert, key: other.key })).summary.join('\n');
    expect(swapped).toContain('tls.cert');
    expect(swapped).not.toContain('BEGIN');
  });
});
