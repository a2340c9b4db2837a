/**
 * @module config/validate-tls
 * A listener's `tls:` block. Certificates and keys are read here, at load, and checked the
 * way the TLS stack will use them: a file that can't be read, a key that doesn't match its
 * certificate, an expired (or not yet valid) certificate and a cipher list OpenSSL rejects
 * are config errors where they are written; a certificate expiring within 14 days is a
 * warning. The PEM text goes into the config, so a reload that reads changed files is a
 * changed config (hot-swapped for new handshakes, see proxy/tls-context).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { TLS_VERSIONS } from '../core/config.js';
import type { ListenerTls, SniCertificate, TlsCertificate } from '../core/config.js';
import { CERT_EXPIRY_WARNING_MS, DEFAULT_TLS_MIN_VERSION, MAX_CERT_FILE_BYTES } from './defaults.js';
import { Invalid, joinPath, type Block, type Checker, type Entry, type Parse } from './validate-context.js';
import { oneOf, routeHost, text } from './validate-values.js';

const TLS_KEYS = ['cert', 'key', 'sni', 'min_version', 'ciphers'] as const;
const SNI_KEYS = ['names', 'cert', 'key'] as const;
const DAY_MS = 86_400_000;

/** A cipher list is valid when OpenSSL accepts it (it refuses one that selects no cipher). */
const cipherList: Parse<string> = (value) => {
  const t = text(value);
  if (t instanceof Invalid) return t;
  try {
    createSecureContext({ ciphers: t });
    return t;
  } catch (err) {
    return new Invalid(`is not a cipher list OpenSSL accepts (${(err as Error).message}), e.g. ECDHE+AESGCM:ECDHE+CHACHA20`);
  }
};

/** A file's text, refusing what is not a regular file or is over MAX_CERT_FILE_BYTES. */
function readSmallFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_CERT_FILE_BYTES) throw new Error(`${st.size} bytes, over the ${MAX_CERT_FILE_BYTES} byte limit`);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** A file named in the config, its text, and where it is written. */
export interface PemFile {
  readonly path: string;
  readonly pem: string;
  readonly entry: Entry;
}

/** The path under `key` (resolved against the config file's folder) and its text; undefined when unreadable (reported). */
export function readFileEntry(checker: Checker, block: Block, key: string): PemFile | undefined {
  const written = block.require(key, text);
  const entry = block.get(key);
  if (written === undefined || entry === undefined) return undefined;
  const path = resolve(dirname(resolve(checker.source.file)), written);
  try {
    return { path, pem: readSmallFile(path), entry };
  } catch (err) {
    checker.report(entry.value, entry.path, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Reports a certificate that is not one, a key that is not one or does not match, and a certificate out of its validity. */
export function checkPair(checker: Checker, cert: PemFile, key: PemFile): void {
  let x509: X509Certificate;
  let pk: KeyObject;
  try {
    x509 = new X509Certificate(cert.pem);
  } catch {
    return checker.report(cert.entry.value, cert.entry.path, `${cert.path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  try {
    pk = createPrivateKey(key.pem);
  } catch (err) {
    return checker.report(key.entry.value, key.entry.path, `${key.path} holds no unencrypted PEM private key (${(err as Error).message})`);
  }
  if (!x509.checkPrivateKey(pk)) checker.report(key.entry.value, key.entry.path, `${key.path} does not match the certificate in ${cert.path}`);
  const notAfter = Date.parse(x509.validTo);
  const notBefore = Date.parse(x509.validFrom);
  const now = checker.now;
  if (notAfter <= now) checker.report(cert.entry.value, cert.entry.path, `the certificate in ${cert.path} (${x509.subject.replace(/\n/g, ', ')}) expired on ${day(notAfter)}`);
  else if (notBefore > now) checker.report(cert.entry.value, cert.entry.path, `the certificate in ${cert.path} is not valid before ${new Date(notBefore).toISOString()}`);
  else if (notAfter - now < CERT_EXPIRY_WARNING_MS) {
    checker.warn(cert.entry.value, cert.entry.path, `the certificate in ${cert.path} expires on ${day(notAfter)}, in ${Math.ceil((notAfter - now) / DAY_MS)} days`);
  }
}

/** `cert` and `key` of `block`, read and checked; empty text when either is unusable (reported). */
function readPair(checker: Checker, block: Block): TlsCertificate {
  const cert = readFileEntry(checker, block, 'cert');
  const key = readFileEntry(checker, block, 'key');
  if (cert && key) checkPair(checker, cert, key);
  return { cert: cert?.path ?? '', key: key?.path ?? '', cert_pem: cert?.pem ?? '', key_pem: key?.pem ?? '' };
}

/** `names:` of an SNI entry: a non-empty list of exact or "*." names, lower-cased. */
function readNames(checker: Checker, block: Block): string[] {
  const e = block.need('names');
  if (e === undefined) return [];
  return checker.list(e.value, e.path, 'server name').flatMap(({ node, path }) => checker.value(node, path, routeHost) ?? []);
}

function readSni(checker: Checker, tls: Block): SniCertificate[] {
  const e = tls.get('sni');
  if (e === undefined) return [];
  const claimed = new Map<string, string>();
  return checker.list(e.value, e.path, 'certificate').flatMap(({ node, path }) => {
    const block = checker.block(node, path, SNI_KEYS);
    if (block === undefined) return [];
    const names = readNames(checker, block);
    // The same name under two entries would make the choice depend on their order.
    for (const n of names) {
      const first = claimed.get(n);
      if (first !== undefined) checker.report(block.get('names')?.value ?? null, joinPath(path, 'names'), `"${n}" is already listed by ${first}`);
      else claimed.set(n, path);
    }
    return [{ names, ...readPair(checker, block) }];
  });
}

/** The `tls:` block of a listener (present in `listener`). */
export function readTls(checker: Checker, listener: Block): ListenerTls {
  const tls = listener.child('tls', TLS_KEYS);
  const reported = checker.issues.length;
  const pair = readPair(checker, tls);
  const min_version = tls.read('min_version', oneOf(TLS_VERSIONS), DEFAULT_TLS_MIN_VERSION);
  const ciphers = tls.read('ciphers', cipherList, undefined);
  if (checker.issues.length === reported) {
    // Each part may pass alone and still not go together (a cipher list with nothing for TLS 1.2 keys...).
    try {
      createSecureContext({ cert: pair.cert_pem, key: pair.key_pem, minVersion: min_version, ...(ciphers === undefined ? {} : { ciphers }) });
    } catch (err) {
      checker.report(tls.at, tls.path, `OpenSSL refuses these settings: ${(err as Error).message}`);
    }
  }
  return { ...pair, sni: readSni(checker, tls), min_version, ciphers };
}
