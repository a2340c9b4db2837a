/**
 * @module test/helpers/certs
 * Certificates made at test time with the openssl CLI (ECDSA P-256: fast to make): a test
 * CA, and leaf certificates it signs for the names a test needs, valid for `days` (a
 * negative count makes one that has already expired); `useCerts` makes a set per test file.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  /** The certificate's PEM text (a client's `ca`, or to compare with what a server sent). */
  readonly pem: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** A self-signed CA in `dir`. */
export function makeCa(dir: string, name = 'bulwark test CA'): CertFiles {
  const cert = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export interface IssueOptions {
  /** DNS names and IP addresses for subjectAltName; the first is also the CN. Default: localhost and 127.0.0.1. */
  readonly names?: readonly string[];
  /** Validity from now, in days; negative: already expired. Default 2. */
  readonly days?: number;
}

/** A leaf certificate `file`.crt/.key in `dir`, signed by `ca`. */
export function issueCert(dir: string, ca: CertFiles, file: string, opts: IssueOptions = {}): CertFiles {
  const names = opts.names ?? ['localhost', '127.0.0.1'];
  const cert = join(dir, `${file}.crt`);
  const key = join(dir, `${file}.key`);
  const csr = join(dir, `${file}.csr`);
  const ext = join(dir, `${file}.ext`);
  const san = names.map((n) => (/^[\d.]+$/.test(n) || n.includes(':') ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${names[0]}`]);
  const serial = `0x${randomBytes(8).toString('hex')}`;
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial, '-days', String(opts.days ?? 2), '-extfile', ext, '-out', cert]);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export type CertSet<K extends string> = { readonly dir: string; readonly ca: CertFiles } & { readonly [name in K]: CertFiles };

/**
 * A temp folder with a test CA and a leaf certificate per entry of `leaves` (its file
 * name), made before the file's tests (openssl takes a moment) and removed after them.
 * The returned object is filled in by then.
 */
export function useCerts<K extends string>(prefix: string, leaves: Readonly<Record<K, IssueOptions>>): CertSet<K> {
  const set = {} as Record<string, unknown>;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const ca = makeCa(dir);
    Object.assign(set, { dir, ca });
    for (const [name, opts] of Object.entries<IssueOptions>(leaves)) set[name] = issueCert(dir, ca, name, opts);
  }, 60_000);
  afterAll(() => rmSync(String(set['dir']), { recursive: true, force: true }));
  return set as CertSet<K>;
}

/** Copies `from`'s certificate and key over `to`'s files, each by a rename, as renewal tools replace them. */
export function replaceFiles(from: Pick<CertFiles, 'cert' | 'key'>, to: Pick<CertFiles, 'cert' | 'key'>): void {
  for (const [src, dst] of [[from.cert, to.cert], [from.key, to.key]] as const) {
    copyFileSync(src, `${dst}.tmp`);
    renameSync(`${dst}.tmp`, dst);
  }
}

/** Files `name`.crt/.key in `dir` holding a copy of `from`: what a config names while a test replaces them. */
export function liveCopy(dir: string, from: CertFiles, name: string): CertFiles {
  const live = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), pem: from.pem };
  replaceFiles(from, live);
  return live;
}
