/**
 * @module test/unit/config/diff-listen.test
 * The reload plan of `listen` with TLS listeners: new certificate contents under the same
 * paths are a hot change (listenChanged, nothing needing a restart) noted without the PEM
 * text; a changed setting is noted by its key; new addresses keep their one note.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffConfig } from '../../../src/config/index.js';
import { issueCert, makeCa, type CertFiles } from '../../helpers/certs.js';
import { valid, yamlWith } from './fixtures.js';

let dir: string;
let a: CertFiles;
let b: CertFiles;
let live: { cert: string; key: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-diff-listen-'));
  const ca = makeCa(dir);
  a = issueCert(dir, ca, 'a');
  b = issueCert(dir, ca, 'b');
  live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The config read with `from`'s files copied under the live names. */
function readWith(from: CertFiles, more: Record<string, unknown> = {}) {
  copyFileSync(from.cert, live.cert);
  copyFileSync(from.key, live.key);
  return valid(yamlWith({ listen: [{ address: '127.0.0.1:8443', tls: { cert: live.cert, key: live.key, ...more } }] }));
}

describe('reload plan of TLS listeners', () => {
  it('new certificate contents under the same paths: a hot change, noted without the PEM text', () => {
    const p = diffConfig(readWith(a), readWith(b));
    expect(p).toMatchObject({ changed: true, listenChanged: true, restartRequired: [] });
    expect(p.summary).toEqual(['listen[0].tls: certificate or key contents changed']);
    expect(p.config.listen[0]!.tls!.cert_pem).toBe(b.pem);
  });

  it('the same files read twice: no change', () => {
    expect(diffConfig(readWith(a), readWith(a))).toMatchObject({ changed: false, listenChanged: false, summary: [] });
  });

  it('a changed setting is noted by its key', () => {
    const p = diffConfig(readWith(a), readWith(a, { min_version: 'TLSv1.3' }));
    expect(p.summary).toEqual(['listen[0].tls.min_version TLSv1.2 → TLSv1.3']);
    expect(p.summary.join('\n')).not.toContain('PRIVATE KEY');
  });
});
