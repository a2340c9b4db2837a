/**
 * @module config/validate-upstream-tls
 * An upstream's `tls:` block: how bulwark connects to its https:// servers. Files are read
 * and checked at load where they are written (unreadable, no PEM certificate in the CA
 * bundle, a client key that does not match its certificate, an expired client
 * certificate); `verify: false` is allowed but warned. An upstream may mix http:// and
 * https:// servers (HAProxy's per-server `ssl`): the block applies to its https:// ones,
 * and a block with none of them to apply to is an error.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { ServerConfig, UpstreamTls } from '../core/config.js';
import { DEFAULT_UPSTREAM_TLS_VERIFY } from './defaults.js';
import { Invalid, type Block, type Checker, type Parse } from './validate-context.js';
import { checkPair, readFileEntry, type PemFile } from './validate-tls.js';
import { boolean, routeHost } from './validate-values.js';

const UPSTREAM_TLS_KEYS = ['ca', 'cert', 'key', 'servername', 'verify'] as const;
const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const SERVERNAME_RULE = 'must be a host name like api.internal';

/** A name for SNI: RFC 6066 §3 carries host names only, never an IP literal (nor a wildcard). */
const serverName: Parse<string> = (value) => {
  if (typeof value === 'string' && isIP(value.replace(/^\[(.*)\]$/, '$1')) !== 0) {
    return new Invalid(`${SERVERNAME_RULE}, not an IP address (SNI carries names only, RFC 6066 §3); leave it out to verify the certificate by the server's IP`);
  }
  const host = routeHost(value);
  return host instanceof Invalid || host.startsWith('*.') ? new Invalid(SERVERNAME_RULE) : host;
};

/** Reports a CA bundle holding no certificate, or one that does not parse. */
function checkCa(checker: Checker, ca: PemFile): void {
  const certs = ca.pem.match(PEM_CERT_RE) ?? [];
  if (certs.length === 0) return checker.report(ca.entry.value, ca.entry.path, `${ca.path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const [i, pem] of certs.entries()) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      return checker.report(ca.entry.value, ca.entry.path, `certificate ${i + 1} in ${ca.path} does not parse (${(err as Error).message})`);
    }
  }
}

/** `cert` and `key` of the block: both or neither, read and checked as a pair. */
function readClientPair(checker: Checker, tls: Block): { cert: PemFile | undefined; key: PemFile | undefined } {
  const written = (['cert', 'key'] as const).filter((k) => tls.get(k) !== undefined);
  if (written.length === 1) {
    const [has] = written as ['cert' | 'key'];
    const e = tls.get(has)!;
    checker.report(e.key, e.path, `needs ${has === 'cert' ? 'key' : 'cert'} too: a client certificate goes with its private key`);
  }
  if (written.length !== 2) return { cert: undefined, key: undefined };
  const cert = readFileEntry(checker, tls, 'cert');
  const key = readFileEntry(checker, tls, 'key');
  if (cert && key) checkPair(checker, cert, key);
  return { cert, key };
}

/** The `tls:` block of upstream `u`, whose servers are `servers`; undefined when absent. */
export function readUpstreamTls(checker: Checker, u: Block, servers: readonly ServerConfig[]): UpstreamTls | undefined {
  const entry = u.get('tls');
  const tls = u.feature('tls', UPSTREAM_TLS_KEYS);
  if (entry === undefined || tls === undefined) return undefined;
  if (servers.length > 0 && !servers.some((s) => s.url.startsWith('https:'))) {
    checker.report(entry.key, entry.path, 'applies to https:// servers only, and this upstream has none (write their urls as https://...)');
  }
  const reported = checker.issues.length;
  const ca = tls.get('ca') === undefined ? undefined : readFileEntry(checker, tls, 'ca');
  if (ca !== undefined) checkCa(checker, ca);
  const { cert, key } = readClientPair(checker, tls);
  const verify = tls.read('verify', boolean, DEFAULT_UPSTREAM_TLS_VERIFY);
  const v = tls.get('verify');
  if (!verify && v !== undefined) {
    checker.warn(v.value, v.path, 'false: any certificate these servers present is accepted, so a man in the middle goes unnoticed');
  }
  const out: UpstreamTls = {
    ca: ca?.path,
    ca_pem: ca?.pem,
    cert: cert?.path,
    cert_pem: cert?.pem,
    key: key?.path,
    key_pem: key?.pem,
    servername: tls.read('servername', serverName, undefined),
    verify,
  };
  if (checker.issues.length === reported) {
    // Each file may pass alone and OpenSSL still refuse them together.
    try {
      createSecureContext({ ca: out.ca_pem, cert: out.cert_pem, key: out.key_pem });
    } catch (err) {
      checker.report(tls.at, tls.path, `OpenSSL refuses these settings: ${(err as Error).message}`);
    }
  }
  return out;
}
